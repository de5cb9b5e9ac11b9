#pragma once
// Structured control shared by languages: block, loop, if and break-to-label.
// `S` is the language's statement kind, `C` its condition kind (an i32 value,
// true when non-zero). Labels are counted outward from the innermost enclosing
// one, as in WebAssembly. Each node is one template run by every domain: the
// interpreter iterates and branches; the graph domain builds Region, Loop and
// Phi nodes.
#include <span>
#include <vector>

#include "morel/framework/DomainNode.h"
#include "morel/framework/Osr.h"
#include "morel/framework/Profiles.h"

namespace morel {

/// Runs statements in order until one leaves the current path (break, return,
/// trap). Each statement is a deoptimization resume point; when the interpreter
/// resumes an activation, the statements before the resume point are skipped.
template <class S, class D>
[[gnu::noinline]] typename std::span<S* const>::iterator skipToResumePoint(
    std::span<S* const> body, D& d) {
  auto it = body.begin();
  while (it != body.end() && !d.resumeInto(*it)) ++it;
  return it;
}

template <class S, class D>
void runSequence(std::span<S* const> body, D& d, typename D::Frame& f) {
  auto it = body.begin();
  if (d.resuming()) [[unlikely]]
    it = skipToResumePoint(body, d);  // kept out of the hot loop
  for (; it != body.end(); ++it) {
    d.beginStatement(*it, f);
    (*it)->run(d, f);
    if (d.dead()) return;
  }
}

template <class S>
class SequenceOwner {
 public:
  std::span<S* const> body() const { return body_; }

 protected:
  void replaceIn(Node* oldChild, Node* newChild) {
    for (S*& s : body_) swapChild(s, oldChild, newChild);
  }
  std::vector<S*> body_;
};

/// A label whose branches jump forward, to its end.
template <class S>
class BlockNode final : public Implements<BlockNode<S>, S>, public SequenceOwner<S> {
 public:
  explicit BlockNode(std::vector<S*> body) {
    for (S* s : body) this->body_.push_back(this->adopt(s));
  }
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto label = d.enterLabel();
    runSequence<S>(this->body(), d, f);
    d.exitLabel(label, f);
  }
  std::string_view kind() const override { return "Block"; }
  bool opensLabel() const override { return true; }

 protected:
  void replaceChild(Node* o, Node* n) override { this->replaceIn(o, n); }
};

/// A label whose branches jump backward, to its start.
template <class S>
class LoopNode final : public Implements<LoopNode<S>, S>, public SequenceOwner<S> {
 public:
  explicit LoopNode(std::vector<S*> body) {
    for (S* s : body) this->body_.push_back(this->adopt(s));
    osr_.setLoop(this);
  }
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.loop(f, profile_, [&] { runSequence<S>(this->body(), d, f); }, &osr_);
  }
  const LoopProfile& profile() const { return profile_; }
  const OsrPoint& osr() const { return osr_; }
  std::string_view kind() const override { return "Loop"; }
  bool opensLabel() const override { return true; }

 protected:
  void replaceChild(Node* o, Node* n) override { this->replaceIn(o, n); }

 private:
  LoopProfile profile_;
  OsrPoint osr_;
};

/// A label around a two-way branch; the condition is evaluated inside the label.
template <class S, class C>
class IfNode final : public Implements<IfNode<S, C>, S> {
 public:
  IfNode(C* cond, std::vector<S*> thenBody, std::vector<S*> elseBody) : cond_(this->adopt(cond)) {
    for (S* s : thenBody) then_.push_back(this->adopt(s));
    for (S* s : elseBody) else_.push_back(this->adopt(s));
  }
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto label = d.enterLabel();
    if (d.resuming()) {
      // The resume point is inside one arm: the condition was already decided.
      bool inThen = false;
      for (S* s : then_) inThen = inThen || d.resumesWithin(s);
      runSequence<S>(std::span<S* const>(inThen ? then_ : else_), d, f);
    } else {
      auto c = cond_->run(d, f);
      d.ifElse(
          c, profile_, f, [&] { runSequence<S>(std::span<S* const>(then_), d, f); },
          [&] { runSequence<S>(std::span<S* const>(else_), d, f); });
    }
    d.exitLabel(label, f);
  }
  const BranchProfile& profile() const { return profile_; }
  std::string_view kind() const override { return "If"; }
  bool opensLabel() const override { return true; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (swapChild(cond_, o, n)) return;
    for (S*& s : then_) swapChild(s, o, n);
    for (S*& s : else_) swapChild(s, o, n);
  }

 private:
  C* cond_;
  std::vector<S*> then_;
  std::vector<S*> else_;
  BranchProfile profile_;
};

/// Leaves `depth + 1` labels: to the end of a block, or the start of a loop.
template <class S>
class BreakNode final : public Implements<BreakNode<S>, S> {
 public:
  explicit BreakNode(uint32_t depth) : depth_(depth) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.br(depth_, f);
  }
  std::string_view kind() const override { return "Break"; }

 private:
  uint32_t depth_;
};

/// Breaks when the condition is non-zero.
template <class S, class C>
class BreakIfNode final : public Implements<BreakIfNode<S, C>, S> {
 public:
  BreakIfNode(C* cond, uint32_t depth) : cond_(this->adopt(cond)), depth_(depth) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto c = cond_->run(d, f);
    d.ifElse(c, profile_, f, [&] { d.br(depth_, f); }, [] {});
  }
  std::string_view kind() const override { return "BreakIf"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(cond_, o, n); }

 private:
  C* cond_;
  uint32_t depth_;
  BranchProfile profile_;
};

}  // namespace morel
