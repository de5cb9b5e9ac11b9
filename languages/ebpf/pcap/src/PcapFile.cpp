// pcap files through libpcap: pcap_open_offline to read, pcap_dump to write.
#include "morel/ebpf/pcap/PcapFile.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <memory>

namespace morel::ebpf::pcap {

std::expected<PcapFile, std::string> PcapFile::read(const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> handle(pcap_open_offline(path.c_str(), error),
                                                        &pcap_close);
  if (!handle) {
    std::string message(error);  // libpcap names the file in some messages only
    return std::unexpected(message.starts_with(path) ? message : path + ": " + message);
  }
  PcapFile file(pcap_datalink(handle.get()), static_cast<uint32_t>(pcap_snapshot(handle.get())));
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int status = 0;
  while ((status = pcap_next_ex(handle.get(), &header, &data)) == 1)
    file.add(std::span<const uint8_t>(data, header->caplen), header->len);
  if (status == PCAP_ERROR) return std::unexpected(path + ": " + pcap_geterr(handle.get()));
  return file;
}

std::expected<void, std::string> PcapFile::write(const std::string& path) const {
  std::unique_ptr<pcap_t, decltype(&pcap_close)> handle(
      pcap_open_dead(linkType_, static_cast<int>(snaplen_)), &pcap_close);
  if (!handle) return std::unexpected(path + ": pcap_open_dead failed");
  std::unique_ptr<pcap_dumper_t, decltype(&pcap_dump_close)> dumper(
      pcap_dump_open(handle.get(), path.c_str()), &pcap_dump_close);
  if (!dumper) return std::unexpected(path + ": " + pcap_geterr(handle.get()));
  for (std::size_t i = 0; i < size(); ++i) {
    Packet p = (*this)[i];
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(i / 1000);
    header.ts.tv_usec = static_cast<suseconds_t>(i % 1000 * 1000);
    header.caplen = static_cast<bpf_u_int32>(p.bytes.size());
    header.len = p.wireLength;
    pcap_dump(reinterpret_cast<u_char*>(dumper.get()), &header, p.bytes.data());
  }
  return {};
}

void PcapFile::add(std::span<const uint8_t> bytes, uint32_t wireLength) {
  auto captured = static_cast<uint32_t>(std::min<std::size_t>(bytes.size(), snaplen_));
  records_.push_back({bytes_.size(), captured, std::max(wireLength, captured)});
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.begin() + captured);
}

}  // namespace morel::ebpf::pcap
