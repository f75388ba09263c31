// cowprobe-forkburst: many short-lived processes, each writing a few pages
// it shares copy-on-write with its parent, for cowprobed's exit record tests.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace {

struct Options {
  unsigned count = 10000;
  unsigned pages = 4;
  unsigned jobs = 1;
  std::string comm = "cpburst";
};

// One child: the pages it writes are copies of the parent's.
[[noreturn]] void child(char* buf, const Options& opts, long page) {
  (void)::prctl(PR_SET_NAME, opts.comm.c_str(), 0, 0, 0);
  for (unsigned i = 0; i < opts.pages; ++i) {
    buf[static_cast<std::size_t>(i) * static_cast<std::size_t>(page)] = 2;
  }
  ::_exit(0);
}

bool reap_one(unsigned& failed) {
  int status = 0;
  pid_t pid = -1;
  do {
    pid = ::wait(&status);
  } while (pid < 0 && errno == EINTR);
  if (pid < 0) {
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ++failed;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) try {
  Options opts;
  CLI::App app("Fork COUNT children that each write PAGES copy-on-write pages and exit",
               "cowprobe-forkburst");
  app.add_option("--count,-n", opts.count, "children")->capture_default_str();
  app.add_option("--pages,-p", opts.pages, "pages each child writes")
      ->check(CLI::Range(1U, 4096U))
      ->capture_default_str();
  app.add_option("--jobs,-j", opts.jobs, "children alive at once")
      ->check(CLI::Range(1U, 1024U))
      ->capture_default_str();
  app.add_option("--comm", opts.comm, "the children's command name (15 bytes at most)")
      ->check([](const std::string& s) {
        return s.empty() || s.size() > 15 ? std::string("1 to 15 bytes") : std::string();
      })
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const long page = ::sysconf(_SC_PAGESIZE);
  const std::size_t len = static_cast<std::size_t>(opts.pages) * static_cast<std::size_t>(page);
  void* mem = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    fmt::print(stderr, "cowprobe-forkburst: mmap: {}\n", std::strerror(errno));
    return 1;
  }
  auto* buf = static_cast<char*>(mem);
  (void)::madvise(mem, len, MADV_NOHUGEPAGE);
  std::memset(buf, 1, len);  // present in the parent: the children copy

  unsigned alive = 0;
  unsigned failed = 0;
  for (unsigned i = 0; i < opts.count; ++i) {
    if (alive == opts.jobs && reap_one(failed)) {
      --alive;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      fmt::print(stderr, "cowprobe-forkburst: fork {}: {}\n", i, std::strerror(errno));
      return 1;
    }
    if (pid == 0) {
      child(buf, opts, page);
    }
    ++alive;
  }
  while (alive > 0 && reap_one(failed)) {
    --alive;
  }
  if (failed > 0) {
    fmt::print(stderr, "cowprobe-forkburst: {} children failed\n", failed);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "cowprobe-forkburst: {}\n", e.what());
  return 1;
}
