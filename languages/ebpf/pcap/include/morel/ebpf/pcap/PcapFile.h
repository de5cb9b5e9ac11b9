#pragma once
// Packets in pcap capture files, read and written with libpcap.
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

namespace morel::ebpf::pcap {

/// One captured packet: the bytes captured (at most the snapshot length) and the
/// packet's length on the wire (more than the bytes when it was truncated).
struct Packet {
  std::span<const uint8_t> bytes;
  uint32_t wireLength;
};

/// A capture held in memory: its link type (DLT_EN10MB, ...), snapshot length and
/// packets, all packet bytes in one buffer.
class PcapFile {
 public:
  PcapFile(int linkType, uint32_t snaplen) : linkType_(linkType), snaplen_(snaplen) {}

  /// Reads a pcap file (libpcap's pcap_open_offline). The error says which file and why.
  static std::expected<PcapFile, std::string> read(const std::string& path);
  /// Writes the capture (pcap_open_dead + pcap_dump_open).
  std::expected<void, std::string> write(const std::string& path) const;

  /// Appends a packet: `bytes` as captured, cut to the snapshot length.
  void add(std::span<const uint8_t> bytes, uint32_t wireLength);

  int linkType() const { return linkType_; }
  uint32_t snaplen() const { return snaplen_; }
  std::size_t size() const { return records_.size(); }
  Packet operator[](std::size_t i) const {
    const Record& r = records_[i];
    return {std::span<const uint8_t>(bytes_).subspan(r.offset, r.captured), r.wireLength};
  }

 private:
  struct Record {
    std::size_t offset;
    uint32_t captured;
    uint32_t wireLength;
  };
  int linkType_;
  uint32_t snaplen_;
  std::vector<uint8_t> bytes_;
  std::vector<Record> records_;
};

}  // namespace morel::ebpf::pcap
