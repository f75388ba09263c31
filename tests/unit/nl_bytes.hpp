// Netlink messages assembled byte by byte for the parser tests, without
// libmnl, so a bug shared by builder and parser cannot hide.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace cowprobe::test {

class NlBytes {
 public:
  // nlmsghdr, then a genlmsghdr {cmd, version 1} when with_genl.
  NlBytes(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, std::uint8_t cmd,
          bool with_genl = true) {
    put32(0);  // nlmsg_len, patched by msg()
    put16(type);
    put16(flags);
    put32(seq);
    put32(0);  // portid
    if (with_genl) {
      bytes_.push_back(cmd);
      bytes_.push_back(1);
      put16(0);
    }
  }

  NlBytes& u32(std::uint16_t type, std::uint32_t v) {
    attr_header(type, 4);
    put32(v);
    return *this;
  }
  NlBytes& u64(std::uint16_t type, std::uint64_t v) {
    attr_header(type, 8);
    put32(static_cast<std::uint32_t>(v));
    put32(static_cast<std::uint32_t>(v >> 32));
    return *this;
  }
  NlBytes& str(std::uint16_t type, const std::string& s) {
    return raw(type, std::vector<std::uint8_t>(s.c_str(), s.c_str() + s.size() + 1));
  }
  NlBytes& raw(std::uint16_t type, const std::vector<std::uint8_t>& payload) {
    attr_header(type, payload.size());
    bytes_.insert(bytes_.end(), payload.begin(), payload.end());
    pad();
    return *this;
  }
  NlBytes& begin(std::uint16_t type) {
    nests_.push_back(bytes_.size());
    attr_header(type, 0);
    return *this;
  }
  NlBytes& end() {
    const std::size_t start = nests_.back();
    nests_.pop_back();
    const auto len = static_cast<std::uint16_t>(bytes_.size() - start);
    std::memcpy(&bytes_[start], &len, sizeof(len));
    return *this;
  }
  NlBytes& put32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    return *this;
  }
  NlBytes& put16(std::uint16_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v));
    bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
    return *this;
  }
  // Drops the last n bytes (to forge truncated messages).
  NlBytes& chop(std::size_t n) {
    bytes_.resize(bytes_.size() - n);
    return *this;
  }

  const nlmsghdr& msg() {
    const auto len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &len, sizeof(len));
    return *reinterpret_cast<const nlmsghdr*>(bytes_.data());
  }

 private:
  void attr_header(std::uint16_t type, std::size_t payload_len) {
    put16(static_cast<std::uint16_t>(4 + payload_len));
    put16(type);
  }
  void pad() {
    while (bytes_.size() % 4 != 0) {
      bytes_.push_back(0);
    }
  }

  std::vector<std::uint8_t> bytes_;
  std::vector<std::size_t> nests_;
};

}  // namespace cowprobe::test
