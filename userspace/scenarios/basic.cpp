// Basic fork scenarios: who writes a private anonymous buffer after fork
// (child, parent, both, several children, a grandchild, threads) and what
// that costs: copies while another process maps a page, reuses once not.
#include <fmt/format.h>

#include <string>
#include <thread>

#include "helpers.hpp"
#include "scenario_list.hpp"

namespace cowprobe::scenario_kit {

Result<ScenarioReport> child_writes(ScenarioEnv& env) {
  return with_buffer(env, "child-writes",
                     [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
                       settle();
                       m.child([&] {
                         touch(buf, 0, env.writes, 'c');
                         return 0;
                       });
                       m.faults("child", kBuf, COWPROBE_C_COPIES, env.writes,
                                fmt::format("child writes {} of {} pages: {}, once per page",
                                            env.writes, env.pages, kCopyRule));
                       return m.done();
                     });
}

Result<ScenarioReport> no_write(ScenarioEnv& env) {
  return with_buffer(env, "no-write", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    const std::uint64_t sum = read_all(buf);
    settle();
    m.child([&] { return read_all(buf) == sum ? 0 : 1; });
    m.note("reads of shared pages take no write fault: nothing to count");
    return m.done();
  });
}

Result<ScenarioReport> parent_after_wait(ScenarioEnv& env) {
  return with_buffer(
      env, "parent-after-wait", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        m.child([] { return 0; });
        touch(buf, 0, env.writes, 'P');
        m.faults("parent", kBuf, COWPROBE_C_REUSES, env.writes,
                 "the child exited without writing; the pages stay write-protected, " + kReuseRule);
        return m.done();
      });
}

Result<ScenarioReport> parent_writes_child_alive(ScenarioEnv& env) {
  return with_buffer(
      env, "parent-writes-child-alive",
      [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        Gate go;
        const pid_t c = spawn([&] {
          go.wait();
          touch(buf, 0, env.writes, 'c');
          return 0;
        });
        m.role("child", c);
        touch(buf, 0, env.writes, 'P');
        go.open();
        reap(c);
        m.faults("parent", kBuf, COWPROBE_C_COPIES, env.writes,
                 "the parent writes while the child still maps the pages: " + kCopyRule);
        m.faults("child", kBuf, COWPROBE_C_REUSES, env.writes,
                 "the parent's copies left the child as the originals' only mapper: " + kReuseRule);
        return m.done();
      });
}

Result<ScenarioReport> several_children(ScenarioEnv& env) {
  constexpr int kChildren = 3;
  constexpr std::size_t kShared = 8;
  return with_buffer(
      env, "several-children", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        Gate turn[kChildren];
        Gate wrote[kChildren];
        Gate leave;
        pid_t kids[kChildren];
        for (int i = 0; i < kChildren; i++) {
          kids[i] = spawn([&, i] {
            turn[i].wait();
            touch(buf, 0, kShared, static_cast<char>('a' + i));
            wrote[i].open();
            leave.wait();
            return 0;
          });
          m.role("children", kids[i]);
        }
        for (int i = 0; i < kChildren; i++) {
          turn[i].open();
          wrote[i].wait();
        }
        for (int i = 0; i < kChildren; i++) {
          leave.open();
        }
        for (const pid_t k : kids) {
          reap(k);
        }
        touch(buf, 0, kShared, 'P');
        m.faults("children", kBuf, COWPROBE_C_COPIES, kChildren * kShared,
                 "4 processes share each page and all 4 write it: min(writers, sharers - 1) = 3 "
                 "copies, one per child, in turn");
        m.faults("parent", kBuf, COWPROBE_C_REUSES, kShared,
                 "the children exited: the parent is the last mapper, " + kReuseRule);
        return m.done();
      });
}

Result<ScenarioReport> fork_chain(ScenarioEnv& env) {
  return with_buffer(
      env, "fork-chain", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
        settle();
        Gate up;
        const pid_t c = spawn([&] {
          const pid_t g = spawn([&] {
            touch(buf, 0, kWrites, 'g');
            return 0;
          });
          up.send_pid(g);
          reap(g);
          return 0;
        });
        m.role("child", c);
        m.role("grandchild", up.recv_pid());
        reap(c);
        touch(buf, 0, kWrites, 'P');
        m.faults("grandchild", kBuf, COWPROBE_C_COPIES, kWrites,
                 "the grandchild inherits the child's write-protected mappings; its parent and "
                 "grandparent still map the pages: " +
                     kCopyRule);
        m.faults("parent", kBuf, COWPROBE_C_REUSES, kWrites,
                 "child and grandchild exited: " + kReuseRule);
        return m.done();
      });
}

Result<ScenarioReport> threads(ScenarioEnv& env) {
  return with_buffer(env, "threads", [&](Model& m, const Mapping& buf) -> Result<ScenarioReport> {
    settle();
    m.child([&] {
      std::thread a([&] { touch(buf, 0, kWrites / 2, 'a'); });
      std::thread b([&] { touch(buf, kWrites / 2, kWrites / 2, 'b'); });
      a.join();
      b.join();
      return 0;
    });
    m.faults("child", kBuf, COWPROBE_C_COPIES, kWrites,
             "two threads of the child write disjoint halves: " + kCopyRule +
                 ", per page, whichever thread writes");
    return m.done();
  });
}

}  // namespace cowprobe::scenario_kit
