// A small ray tracer in f32: spheres on a plane, one light, hard shadows and
// one reflection bounce, rendered to a grey-scale image that is summarised.
//   raytrace [SIZE]   (default 256: a SIZE x SIZE image)
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  float x, y, z;
} Vec;

static Vec add(Vec a, Vec b) {
  return (Vec){a.x + b.x, a.y + b.y, a.z + b.z};
}
static Vec sub(Vec a, Vec b) {
  return (Vec){a.x - b.x, a.y - b.y, a.z - b.z};
}
static Vec scale(Vec a, float s) {
  return (Vec){a.x * s, a.y * s, a.z * s};
}
static float dot(Vec a, Vec b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
static Vec unit(Vec a) {
  return scale(a, 1.0f / sqrtf(dot(a, a)));
}

typedef struct {
  Vec center;
  float radius, reflect;
} Sphere;

static const Sphere spheres[] = {{{0, 1, 5}, 1, 0.5f},
                                 {{-2.2f, 0.7f, 6}, 0.7f, 0.2f},
                                 {{2, 0.5f, 4}, 0.5f, 0.8f},
                                 {{0.7f, 0.3f, 3}, 0.3f, 0}};
enum { kSpheres = sizeof spheres / sizeof spheres[0] };

// The nearest hit along the ray: a sphere index, kSpheres for the floor (y = 0), -1 for none.
static int hit(Vec origin, Vec dir, float* distance) {
  int found = -1;
  float best = 1e30f;
  for (int i = 0; i < kSpheres; ++i) {
    Vec oc = sub(origin, spheres[i].center);
    float b = dot(oc, dir), c = dot(oc, oc) - spheres[i].radius * spheres[i].radius,
          disc = b * b - c;
    if (disc < 0) continue;
    float t = -b - sqrtf(disc);
    if (t > 1e-3f && t < best) best = t, found = i;
  }
  if (dir.y < 0) {
    float t = -origin.y / dir.y;
    if (t > 1e-3f && t < best) best = t, found = kSpheres;
  }
  *distance = best;
  return found;
}

static float shade(Vec origin, Vec dir, int depth) {
  float t;
  int what = hit(origin, dir, &t);
  if (what < 0) return 0.2f + 0.3f * dir.y;
  Vec p = add(origin, scale(dir, t));
  Vec normal = what == kSpheres ? (Vec){0, 1, 0} : unit(sub(p, spheres[what].center));
  Vec toLight = unit(sub((Vec){5, 8, -3}, p));
  float light = dot(normal, toLight);
  float shadowT;
  if (light < 0 || hit(p, toLight, &shadowT) >= 0) light = 0;
  float color = 0.1f + 0.9f * light;
  if (what == kSpheres) color *= ((int)floorf(p.x) + (int)floorf(p.z)) & 1 ? 1.0f : 0.5f;
  float reflect = what == kSpheres ? 0.1f : spheres[what].reflect;
  if (depth < 2 && reflect > 0) {
    Vec r = sub(dir, scale(normal, 2 * dot(dir, normal)));
    color = color * (1 - reflect) + reflect * shade(p, r, depth + 1);
  }
  return color;
}

int main(int argc, char** argv) {
  int size = argc > 1 ? atoi(argv[1]) : 256;
  if (size < 1 || size > 4096) return 2;
  uint64_t checksum = 0;
  unsigned histogram[4] = {0};
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      Vec dir = unit((Vec){(x - size / 2.0f) / size, (size / 2.0f - y) / size + 0.1f, 1});
      float c = shade((Vec){0, 1.2f, -1}, dir, 0);
      int level = c <= 0 ? 0 : c >= 1 ? 255 : (int)(c * 255);
      checksum = checksum * 1000003u + (unsigned)level;
      ++histogram[level / 64];
    }
  printf("%dx%d checksum %llu histogram %u %u %u %u\n", size, size, (unsigned long long)checksum,
         histogram[0], histogram[1], histogram[2], histogram[3]);
  return 0;
}
