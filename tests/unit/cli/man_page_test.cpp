// cowprobe(8) is written by hand (man/cowprobe.8.scd): it must keep every
// subcommand and every example --help shows.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "app.hpp"

namespace cowprobe::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "  cowprobe stat -- make   what it does" -> "cowprobe stat -- make"
std::vector<std::string> examples(const std::string& footer) {
  std::vector<std::string> out;
  std::istringstream in(footer);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("cowprobe ");
    if (line.rfind("  ", 0) != 0 || at == std::string::npos || at > 4) {
      continue;
    }
    std::string cmd = line.substr(at);
    if (const auto gap = cmd.find("  "); gap != std::string::npos) {
      cmd.resize(gap);
    }
    while (!cmd.empty() && cmd.back() == ' ') {
      cmd.pop_back();
    }
    out.push_back(cmd);
  }
  return out;
}

TEST(ManPage, HasEverySubcommandAndExample) {
  const std::string page = read_file(std::string(COWPROBE_SOURCE_DIR) + "/man/cowprobe.8.scd");
  ASSERT_FALSE(page.empty());
  Options opts;
  auto app = make_app(opts);
  const CLI::App& capp = *app;
  const auto subs = capp.get_subcommands([](const CLI::App*) { return true; });
  ASSERT_GE(subs.size(), 6U);
  for (const auto& cmd : examples(capp.get_footer())) {
    EXPECT_NE(page.find(cmd), std::string::npos) << "example missing: " << cmd;
  }
  for (const CLI::App* sub : subs) {
    EXPECT_NE(page.find("\n## " + sub->get_name() + " "), std::string::npos)
        << "no section for " << sub->get_name();
    const auto cmds = examples(sub->get_footer());
    EXPECT_FALSE(cmds.empty()) << sub->get_name() << " --help has no example";
    for (const auto& cmd : cmds) {
      // A description one space after the command ("... -r 5 two scenarios"):
      // drop words from the end, keeping the command and an argument.
      std::string found = cmd;
      while (page.find(found) == std::string::npos && found.find(' ') != std::string::npos) {
        found.resize(found.rfind(' '));
      }
      const auto words = std::count(found.begin(), found.end(), ' ') + 1;
      EXPECT_TRUE(found == cmd || words >= 4) << "example missing: " << cmd;
    }
  }
}

}  // namespace
}  // namespace cowprobe::cli
