#include "maps.hpp"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

namespace cowprobe {
namespace {

// As the kernel sends st_dev: new_encode_dev(), which glibc's makedev reads.
std::uint32_t dev(unsigned major, unsigned minor) {
  return static_cast<std::uint32_t>(makedev(major, minor));
}

const char* const kMountinfo =
    "21 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "30 21 0:25 / /tmp rw,nosuid shared:2 - tmpfs tmpfs rw\n"
    "31 21 254:1 /srv/data /mnt/my\\040data rw - ext4 /dev/vda1 rw\n"
    "garbage line\n";

TEST(MountTable, JoinsTheMountPointOfTheDevice) {
  const auto mounts = MountTable::parse(kMountinfo);
  EXPECT_EQ(mounts.full_path(dev(254, 1), "/usr/lib/x86_64-linux-gnu/libc.so.6"),
            "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(mounts.full_path(dev(0, 25), "/a.out"), "/tmp/a.out");
  // a bind mount of a subdirectory: the longest root that holds the path
  EXPECT_EQ(mounts.full_path(dev(254, 1), "/srv/data/prog"), "/mnt/my data/prog");
  // no mount of that device (unmounted since): the inner path as it is
  EXPECT_EQ(mounts.full_path(dev(8, 3), "/x/y"), "/x/y");
}

TEST(Maps, NamesByKind) {
  const MountTable mounts = MountTable::parse(kMountinfo);
  MapRecord m;
  m.start = 0x7f0000000000;
  m.end = m.start + (50ULL << 20) + 4096;
  EXPECT_EQ(mapping_name(m, mounts), "[anon 50.0 MiB]");
  m.kind = COWPROBE_MAP_HEAP;
  EXPECT_EQ(mapping_name(m, mounts), "[heap]");
  m.kind = COWPROBE_MAP_STACK;
  EXPECT_EQ(mapping_name(m, mounts), "[stack]");
  m.kind = COWPROBE_MAP_DATA;
  m.dev = dev(0, 25);
  m.name = "/seed-rss";
  EXPECT_EQ(mapping_name(m, mounts), "/tmp/seed-rss (.data)");
  m.kind = COWPROBE_MAP_BSS;
  EXPECT_EQ(mapping_name(m, mounts), "/tmp/seed-rss (.bss)");
  m.kind = COWPROBE_MAP_FILE;
  EXPECT_EQ(mapping_name(m, mounts), "/tmp/seed-rss");
  m.kind = COWPROBE_MAP_BSS;
  m.name.clear();
  EXPECT_EQ(mapping_name(m, mounts), "[.bss 50.0 MiB]");
  EXPECT_EQ(format_size(4096), "4.0 KiB");
  EXPECT_EQ(format_size(3ULL << 30), "3.0 GiB");
}

MapRecord bucket(std::uint32_t kind, std::uint64_t start, std::uint64_t end, std::uint64_t copies,
                 bool at_fork = false) {
  MapRecord m;
  m.kind = kind;
  m.start = start;
  m.end = end;
  m.counters.set(COWPROBE_C_COPIES, copies);
  m.counters.set(COWPROBE_C_WP_FAULTS, copies);
  m.flags = at_fork ? static_cast<std::uint32_t>(COWPROBE_MAP_F_AT_FORK) : 0U;
  return m;
}

TEST(Maps, BucketsOfOneMappingAreSummedAndTheHeapKeepsOneEntry) {
  ProcRecord rec;
  rec.maps.push_back(bucket(COWPROBE_MAP_ANON, 0x2000000, 0x3000000, 5, true));
  rec.maps.push_back(bucket(COWPROBE_MAP_HEAP, 0x1000000, 0x1100000, 1));
  rec.maps.push_back(bucket(COWPROBE_MAP_ANON, 0x2000000, 0x3000000, 7));  // a second thread's
  rec.maps.push_back(bucket(COWPROBE_MAP_HEAP, 0x1000000, 0x1200000, 2));  // grown since
  Counters over;
  over.set(COWPROBE_C_WP_FAULTS, 3);
  rec.maps_overflow = over;
  const auto maps = mappings_of(rec, MountTable{});
  ASSERT_EQ(maps.size(), 3U);
  EXPECT_EQ(maps[0].name, "[heap]");
  EXPECT_EQ(maps[0].end, 0x1200000U);
  EXPECT_EQ(maps[0].counters.copies, 3U);
  EXPECT_EQ(maps[1].name, "[anon 16.0 MiB]");
  EXPECT_EQ(maps[1].counters.copies, 12U);
  EXPECT_TRUE(maps[1].at_fork);
  EXPECT_EQ(maps[2].name, "[other]");
  EXPECT_EQ(maps[2].counters.wp_faults, 3U);
}

TEST(Maps, HintsForMappingsSharedAtForkAndHardlyCopied) {
  constexpr std::uint64_t kStart = 0x7f0000000000;
  constexpr std::uint64_t kEnd = kStart + (50ULL << 20);  // 12,800 pages
  std::vector<ProcRecord> recs(5);
  recs[0].pid = 10;
  recs[0].comm = "seed-rss";
  recs[0].maps.push_back(bucket(COWPROBE_MAP_ANON, kStart, kEnd, 4));
  for (std::uint32_t i = 1; i < 5; ++i) {
    recs[i].pid = 10 + i;
    recs[i].ppid = 10;
    recs[i].comm = "seed-rss";
  }
  recs[1].maps.push_back(bucket(COWPROBE_MAP_ANON, kStart, kEnd, 0, true));
  recs[2].maps.push_back(bucket(COWPROBE_MAP_ANON, kStart, kEnd, 0, true));
  recs[3].maps.push_back(bucket(COWPROBE_MAP_ANON, kStart, kEnd, 12800, true));  // wrote it all
  recs[4].maps.push_back(bucket(COWPROBE_MAP_ANON, kStart, kEnd, 3199, true));   // under 25%
  const auto hints = fork_hints(recs, MountTable{});
  ASSERT_EQ(hints.size(), 2U);
  EXPECT_EQ(hints[0].processes, 2U);
  EXPECT_EQ(hints[0].text,
            "2 children of pid 10 (seed-rss): 50.0 MiB anonymous mapping shared at fork: each "
            "copied 0 pages (0%); the parent (pid 10) copied 4 pages there in all");
  EXPECT_EQ(hints[1].pid, 14U);
  EXPECT_EQ(hints[1].copies, 3199U);
  EXPECT_EQ(hints[1].text.substr(0, 70),
            "pid 14 (seed-rss): 50.0 MiB anonymous mapping shared at fork: the chil");
  EXPECT_NE(hints[1].text.find("copied 3199 pages (24%)"), std::string::npos) << hints[1].text;
}

}  // namespace
}  // namespace cowprobe
