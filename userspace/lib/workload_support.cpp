#include "workload_support.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "fd.hpp"

namespace cowprobe::detail {

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

Result<Mapping> Mapping::anonymous(std::size_t pages) {
  const std::size_t len = pages * page_size();
  if (len == 0) {
    return Error(EINVAL, "mmap", "the buffer needs at least one page");
  }
  void* addr = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (addr == MAP_FAILED) {
    return Error::from_errno("mmap");
  }
  Mapping mapping(addr, len);
  // Without THP every fault is a 4 KiB one; kernels without THP say EINVAL.
  if (::madvise(addr, len, MADV_NOHUGEPAGE) < 0 && errno != EINVAL) {
    return Error::from_errno("madvise(MADV_NOHUGEPAGE)");
  }
  return mapping;
}

Mapping::~Mapping() {
  if (addr_ != nullptr) {
    ::munmap(addr_, len_);
  }
}

void Mapping::write_pages(std::size_t first, std::size_t count, char value) const {
  volatile char* base = data();
  for (std::size_t i = first; i < first + count; ++i) {
    base[i * page_size()] = value;
  }
}

void Mapping::fill(char value) const {
  for (std::size_t i = 0; i < pages(); ++i) {
    std::memset(data() + (i * page_size()), value, page_size());
  }
}

Result<ForkedChild> ForkedChild::start(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) {
    return Error::from_errno("fork");
  }
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  return ForkedChild(pid);
}

ForkedChild::~ForkedChild() { (void)wait(); }

Result<int> ForkedChild::wait() {
  if (pid_ < 0) {
    return Error(ECHILD, "waitpid", "child already reaped");
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      pid_ = -1;
      return Error::from_errno("waitpid");
    }
  }
  pid_ = -1;
  return status;
}

CpuPin::CpuPin() {
  cpu_set_t old;
  CPU_ZERO(&old);
  if (::sched_getaffinity(0, sizeof(old), &old) < 0) {
    return;
  }
  cpu_set_t cpu0;
  CPU_ZERO(&cpu0);
  CPU_SET(0, &cpu0);
  if (::sched_setaffinity(0, sizeof(cpu0), &cpu0) == 0) {
    saved_ = old;
  }
}

CpuPin::~CpuPin() {
  if (saved_) {
    ::sched_setaffinity(0, sizeof(*saved_), &*saved_);
  }
}

void drain_lru_caches() {
  std::array<unsigned long, 1> node0{1UL};
  if (::syscall(SYS_migrate_pages, 0, node0.size() * 8 * sizeof(unsigned long), node0.data(),
                node0.data()) >= 0) {
    return;
  }
  const UniqueFd fd(::open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC));
  if (fd.valid()) {
    const ssize_t written = ::write(fd.get(), "1", 1);
    (void)written;  // best effort: a kernel without compaction still runs
  }
}

}  // namespace cowprobe::detail
