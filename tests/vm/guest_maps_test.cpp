// Runs inside a test VM: cowprobe stat --maps on the seed's three programs,
// unmodified, built at -O0 and -O2 (tests/vm/CMakeLists.txt puts them in
// /opt/seed). Checks that the copies land in the mapping the program wrote
// and that the missing-copy hint names the mapping -O2 left unwritten.
//
// Counts are compared as write-protect faults per mapping: whether such a
// fault copies or reuses can depend on whether the parent wrote the page
// first after fork (a race on 2 vCPUs), the number of faults cannot.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace cowprobe {
namespace {

// 50 MB from malloc: mmap'd with a header page, buf 16 bytes in; the memset
// writes 52,428,800 bytes from there, so touches every page of the 50 MiB +
// 4 KiB mapping once.
constexpr std::uint64_t kRssPages = 12801;
// fork-time's buffers: 1 MB and 10 MB come from the heap once glibc's mmap
// threshold has grown past them (the second malloc of each size), 50 MB
// always from mmap (above the threshold's 32 MiB cap); 16 bytes of header
// make the memset touch one page more than the size.
constexpr std::uint64_t kPages1M = 257;
constexpr std::uint64_t kPages10M = 2561;
constexpr std::uint64_t kPages50M = 12801;

nlohmann::json stat_maps(const std::string& prog) {
  const std::string out = "/tmp/stat-maps.json";
  std::remove(out.c_str());
  const std::string cmd =
      "cowprobe stat --maps --json -o " + out + " -- /opt/seed/" + prog + " >/dev/null";
  const int rc = std::system(cmd.c_str());  // NOLINT(cert-env33-c)
  EXPECT_EQ(WEXITSTATUS(rc), 0) << cmd;
  std::ifstream f(out);
  std::stringstream s;
  s << f.rdbuf();
  return nlohmann::json::parse(s.str());
}

std::vector<const nlohmann::json*> children(const nlohmann::json& stat) {
  const auto root = stat.at("processes").at(0).at("pid").get<std::uint64_t>();
  std::vector<const nlohmann::json*> out;
  for (const auto& p : stat.at("processes")) {
    if (p.at("ppid").get<std::uint64_t>() == root) {
      out.push_back(&p);
    }
  }
  return out;
}

const nlohmann::json* mapping(const nlohmann::json& proc, const std::string& name) {
  for (const auto& m : proc.at("mappings")) {
    if (m.at("name") == name) {
      return &m;
    }
  }
  return nullptr;
}

std::uint64_t wp(const nlohmann::json* m) {
  return m == nullptr ? 0 : m->at("wp_faults").get<std::uint64_t>();
}

std::uint64_t sum(const nlohmann::json& proc, const char* key) {
  std::uint64_t n = 0;
  for (const auto& m : proc.at("mappings")) {
    n += m.at(key).get<std::uint64_t>();
  }
  return n;
}

// Every fault of the process is in one of its mappings, none in [other]
// (8 buckets are enough for these programs), and named ones are there.
void expect_all_placed(const nlohmann::json& proc) {
  EXPECT_EQ(sum(proc, "wp_faults"), proc.at("wp_faults").get<std::uint64_t>()) << proc.dump(2);
  EXPECT_EQ(sum(proc, "copies"), proc.at("copies").get<std::uint64_t>()) << proc.dump(2);
  EXPECT_EQ(mapping(proc, "[other]"), nullptr) << proc.dump(2);
  bool libc = false;
  for (const auto& m : proc.at("mappings")) {
    const auto name = m.at("name").get<std::string>();
    libc = libc || name.find("libc.so.6 (.") != std::string::npos;
  }
  EXPECT_TRUE(libc) << "libc's data or bss not named: " << proc.dump(2);
}

TEST(Maps, SeedRssCopiesTheBufferAtO0AndNothingAtO2) {
  const auto o0 = stat_maps("seed-rss-O0");
  const auto o2 = stat_maps("seed-rss-O2");
  ASSERT_EQ(children(o0).size(), 1U) << o0.dump(2);
  ASSERT_EQ(children(o2).size(), 1U) << o2.dump(2);
  const auto& c0 = *children(o0).front();
  const auto& c2 = *children(o2).front();
  const auto* buf0 = mapping(c0, "[anon 50.0 MiB]");
  const auto* buf2 = mapping(c2, "[anon 50.0 MiB]");
  ASSERT_NE(buf0, nullptr) << c0.dump(2);
  ASSERT_NE(buf2, nullptr) << c2.dump(2);
  EXPECT_TRUE(buf0->at("at_fork").get<bool>());
  EXPECT_TRUE(buf2->at("at_fork").get<bool>());
  // The vma of the buffer also holds libc's few TLS pages (mapped next to
  // it and merged): the child writes them at either level. The difference
  // is the buffer, exactly.
  EXPECT_EQ(wp(buf0) - wp(buf2), kRssPages) << c0.dump(2) << c2.dump(2);
  EXPECT_LE(wp(buf2), 3U) << c2.dump(2);
  EXPECT_GE(buf0->at("copies").get<std::uint64_t>(), kRssPages);
  expect_all_placed(c0);
  expect_all_placed(c2);
  // the hint: only where -O2 removed the write
  EXPECT_TRUE(o0.at("hints").empty()) << o0.at("hints").dump(2);
  ASSERT_EQ(o2.at("hints").size(), 1U) << o2.at("hints").dump(2);
  const auto& hint = o2.at("hints").at(0);
  EXPECT_EQ(hint.at("pid"), c2.at("pid"));
  EXPECT_EQ(hint.at("mapping"), "[anon 50.0 MiB]");
  EXPECT_EQ(hint.at("copies"), buf2->at("copies"));
  EXPECT_NE(hint.at("text").get<std::string>().find(
                "50.0 MiB anonymous mapping shared at fork: the child copied"),
            std::string::npos)
      << hint.dump(2);
}

TEST(Maps, SeedGlobalArrayChildWritesOnePageOfTheProgram) {
  for (const char* opt : {"O0", "O2"}) {
    const std::string prog = std::string("seed-global-array-") + opt;
    const auto stat = stat_maps(prog);
    ASSERT_EQ(children(stat).size(), 1U) << stat.dump(2);
    const auto& child = *children(stat).front();
    const std::string path = "/opt/seed/" + prog;
    const auto* data = mapping(child, path + " (.data)");
    const auto* bss = mapping(child, path + " (.bss)");
    ASSERT_NE(bss, nullptr) << child.dump(2);
    // big_array (4 MiB, in .bss) is shared at fork; the child writes its
    // first 10 ints, one page: bss starts inside the data segment's last
    // file page, so that page may be the (.data) mapping's. Nothing else
    // of the program's own is written by the child.
    EXPECT_TRUE(bss->at("at_fork").get<bool>());
    EXPECT_EQ(wp(data) + wp(bss), 1U) << child.dump(2);
    expect_all_placed(child);
    bool hinted = false;
    for (const auto& h : stat.at("hints")) {
      hinted = hinted || (h.at("mapping") == path + " (.bss)" && h.at("pid") == child.at("pid"));
    }
    EXPECT_TRUE(hinted) << opt << ": no hint for big_array: " << stat.at("hints").dump(2);
  }
}

// The biggest write-fault count of a child in one mapping: its buffer's.
std::uint64_t buffer_faults(const nlohmann::json& child) {
  std::uint64_t most = 0;
  for (const auto& m : child.at("mappings")) {
    most = std::max(most, m.at("wp_faults").get<std::uint64_t>());
  }
  return most;
}

TEST(Maps, SeedForkTimeWritersAtO0NoneAtO2) {
  // 600 forks, 300 of them writing up to 50 MB: about a minute under TCG,
  // many more with KASAN (the debug line sets this to skip the -O0 run)
  const char* skip = std::getenv("COWPROBE_MAPS_SKIP_FORK_TIME_O0");
  for (const char* opt : {"O0", "O2"}) {
    if (skip != nullptr && std::string(opt) == "O0") {
      continue;
    }
    const auto stat = stat_maps(std::string("seed-fork-time-") + opt);
    const auto kids = children(stat);
    ASSERT_EQ(kids.size(), 600U) << opt;
    std::uint64_t tls = UINT64_MAX;  // faults of a child that wrote nothing in the 50 MiB vma
    for (const auto* c : kids) {
      if (const auto* m = mapping(*c, "[anon 50.0 MiB]"); m != nullptr) {
        tls = std::min(tls, wp(m));
      }
    }
    ASSERT_NE(tls, UINT64_MAX) << opt << ": no child shares the 50 MB buffer";
    std::uint64_t w1 = 0;
    std::uint64_t w10 = 0;
    std::uint64_t w50 = 0;
    std::uint64_t other = 0;
    for (const auto* c : kids) {
      const std::uint64_t n = buffer_faults(*c);
      const auto* big = mapping(*c, "[anon 50.0 MiB]");
      if (big != nullptr && wp(big) == kPages50M + tls) {
        w50++;
      } else if (n == kPages10M) {
        w10++;
      } else if (n == kPages1M) {
        w1++;
      } else if (n >= 64) {
        other++;
      }
    }
    std::uint64_t hinted = 0;
    for (const auto& h : stat.at("hints")) {
      hinted += h.at("processes").get<std::uint64_t>();
    }
    if (std::string(opt) == "O0") {
      EXPECT_EQ(w1, 100U);
      EXPECT_EQ(w10, 100U);
      EXPECT_EQ(w50, 100U);
      // the 300 that do not write: each shares its buffer untouched
      EXPECT_GE(hinted, 300U) << stat.at("hints").dump(2);
    } else {
      // -O2 drops the child's memset before _exit(): no child writes
      EXPECT_EQ(w1 + w10 + w50, 0U);
      EXPECT_GE(hinted, 600U) << stat.at("hints").dump(2);
    }
    EXPECT_EQ(other, 0U) << opt;
  }
}

}  // namespace
}  // namespace cowprobe
