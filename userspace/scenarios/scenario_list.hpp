// The scenarios, one function each, defined by theme: basic.cpp, sharing.cpp,
// huge.cpp, pins.cpp, ksm_swap_uffd.cpp, seed.cpp; registry.cpp lists them.
#pragma once

#include "result.hpp"
#include "scenario.hpp"

namespace cowprobe::scenario_kit {

Result<ScenarioReport> child_writes(ScenarioEnv& env);
Result<ScenarioReport> no_write(ScenarioEnv& env);
Result<ScenarioReport> parent_after_wait(ScenarioEnv& env);
Result<ScenarioReport> parent_writes_child_alive(ScenarioEnv& env);
Result<ScenarioReport> several_children(ScenarioEnv& env);
Result<ScenarioReport> fork_chain(ScenarioEnv& env);
Result<ScenarioReport> threads(ScenarioEnv& env);
Result<ScenarioReport> fork_exec(ScenarioEnv& env);
Result<ScenarioReport> vfork_exit(ScenarioEnv& env);
Result<ScenarioReport> posix_spawn_true(ScenarioEnv& env);
Result<ScenarioReport> shared_anon(ScenarioEnv& env);
Result<ScenarioReport> zero_page(ScenarioEnv& env);
Result<ScenarioReport> zero_page_fork(ScenarioEnv& env);
Result<ScenarioReport> file_private(ScenarioEnv& env);
Result<ScenarioReport> mprotect_rw(ScenarioEnv& env);
Result<ScenarioReport> remote_write(ScenarioEnv& env);
Result<ScenarioReport> thp(ScenarioEnv& env);
Result<ScenarioReport> hugetlb(ScenarioEnv& env);
Result<ScenarioReport> io_uring_worker(ScenarioEnv& env);
Result<ScenarioReport> ksm(ScenarioEnv& env);
Result<ScenarioReport> dontfork(ScenarioEnv& env);
Result<ScenarioReport> wipeonfork(ScenarioEnv& env);
Result<ScenarioReport> softdirty_clear(ScenarioEnv& env);
Result<ScenarioReport> memfd_private(ScenarioEnv& env);
Result<ScenarioReport> tmpfile_private(ScenarioEnv& env);
Result<ScenarioReport> seed_global_array(ScenarioEnv& env);
Result<ScenarioReport> unshare_pin(ScenarioEnv& env);
Result<ScenarioReport> vmsplice_unmap(ScenarioEnv& env);
Result<ScenarioReport> huge_zero_page(ScenarioEnv& env);
Result<ScenarioReport> mremap_thp(ScenarioEnv& env);
Result<ScenarioReport> swap_before_fork(ScenarioEnv& env);
Result<ScenarioReport> hugetlb_memfd(ScenarioEnv& env);
Result<ScenarioReport> uffd_wp(ScenarioEnv& env);
Result<ScenarioReport> iouring_fixed_pin(ScenarioEnv& env);
Result<ScenarioReport> unshare_pin_thp(ScenarioEnv& env);
Result<ScenarioReport> thp_collapse(ScenarioEnv& env);
Result<ScenarioReport> seed_rss(ScenarioEnv& env);
Result<ScenarioReport> seed_fork_time(ScenarioEnv& env);

}  // namespace cowprobe::scenario_kit
