// Hostile names never get past validation: quotes, markup, paths, spaces,
// newlines, very long names and non-ASCII are refused with file:line:col,
// so they cannot reach XML, a path, a domain or a bridge name.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/lab_parser.h"
#include "config/roster_parser.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

const std::vector<std::string>& HostileNames() {
  static const std::vector<std::string> names = {
      "a'b", "a\"b", "a<b>", "a&b", "a/b", "..", "../etc", "a b", "a\nb",
      std::string(300, 'a'), "caf\xc3\xa9", "-rf", "A", "w;reboot", "$(id)", ""};
  return names;
}

// A YAML double-quoted scalar holding `text` exactly.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

struct Field {
  const char* what;
  int line;  // where the hostile value stands in the lab below
};

std::string Lab(const std::string& lab, const std::string& image,
                const std::string& net, const std::string& vm) {
  return "lab: " + Quote(lab) + "\n"              // 1
         "images:\n"                              // 2
         "  - name: " + Quote(image) + "\n"       // 3
         "    file: tiny.qcow2\n"                 // 4
         "networks:\n"                            // 5
         "  - name: " + Quote(net) + "\n"         // 6
         "    cidr: 10.0.0.0/24\n"                // 7
         "vms:\n"                                 // 8
         "  - name: " + Quote(vm) + "\n"          // 9
         "    image: tiny\n"                      // 10
         "    nics:\n"                            // 11
         "      - network: lan\n"                 // 12
         "        ip: 10.0.0.2\n";                // 13
}

bool HasErrorAtLine(const Diagnostics& errors, int line) {
  std::string prefix = "labs/x.yaml:" + std::to_string(line) + ":";
  for (const std::string& text : testing::Lines(errors)) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(InjectionTest, HostileLabImageNetworkAndVmNamesAreRefusedWithTheirPlace) {
  testing::TempImageDir images;
  ASSERT_TRUE(ParseLab(Lab("okay", "tiny", "lan", "web"), "labs/x.yaml", images.path()).lab)
      << "the template itself is valid";
  for (const std::string& bad : HostileNames()) {
    for (Field field : {Field{"lab", 1}, Field{"image", 3}, Field{"network", 6},
                        Field{"vm", 9}}) {
      std::string name = field.what;
      std::string yaml = Lab(name == "lab" ? bad : "okay", name == "image" ? bad : "tiny",
                             name == "network" ? bad : "lan", name == "vm" ? bad : "web");
      LabParseResult result = ParseLab(yaml, "labs/x.yaml", images.path());
      EXPECT_FALSE(result.lab) << field.what << " named " << Quote(bad) << " was accepted";
      EXPECT_TRUE(HasErrorAtLine(result.errors, field.line))
          << field.what << " named " << Quote(bad) << ": "
          << ::testing::PrintToString(testing::Lines(result.errors));
    }
  }
}

TEST(InjectionTest, HostileUserAndGroupNamesAreRefusedWithTheirLine) {
  for (const std::string& bad : HostileNames()) {
    std::string quoted = "\"";
    for (char c : bad) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    for (int column : {1, 3}) {
      std::string row = column == 1 ? quoted + ",Some One,g1" : "alice,Some One," + quoted;
      RosterParseResult result =
          ParseRoster("username,full_name,group\n" + row + "\n", "roster.csv");
      EXPECT_FALSE(result.roster) << Quote(bad) << " in column " << column;
      bool placed = false;
      for (const std::string& text : testing::Lines(result.errors)) {
        placed |= text.rfind("roster.csv:2:", 0) == 0;
      }
      EXPECT_TRUE(placed) << Quote(bad) << ": "
                          << ::testing::PrintToString(testing::Lines(result.errors));
    }
  }
}

}  // namespace
}  // namespace config
