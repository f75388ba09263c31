#include "check_suite.hpp"

#include <gtest/gtest.h>

namespace cowprobe {
namespace {

TEST(ChooseScenarios, NoNameIsEveryScenarioInRegistryOrder) {
  auto chosen = choose_scenarios({});
  ASSERT_TRUE(chosen);
  ASSERT_EQ(chosen->size(), scenarios().size());
  for (std::size_t i = 0; i < chosen->size(); i++) {
    EXPECT_EQ((*chosen)[i], &scenarios()[i]);
  }
}

TEST(ChooseScenarios, NamesKeepTheirOrder) {
  auto chosen = choose_scenarios({"thp", "child-writes"});
  ASSERT_TRUE(chosen);
  ASSERT_EQ(chosen->size(), 2U);
  EXPECT_EQ((*chosen)[0]->name, "thp");
  EXPECT_EQ((*chosen)[1]->name, "child-writes");
}

TEST(ChooseScenarios, AnUnknownNameIsRefusedByName) {
  auto chosen = choose_scenarios({"child-writes", "no-such"});
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code(), EINVAL);
  EXPECT_EQ(chosen.error().what(), "unknown scenario 'no-such' (see cowprobe check --list)");
}

}  // namespace
}  // namespace cowprobe
