// Every kind of lab error, with its exact text and position, and all of
// them in one pass.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/lab_parser.h"
#include "unit/config/test_support.h"

namespace config {
namespace {

using testing::Lines;
using testing::TempImageDir;

class LabErrorsTest : public ::testing::Test {
 protected:
  // The diagnostics of `yaml` read as labs/x.yaml.
  std::vector<std::string> Errors(const std::string& yaml) {
    LabParseResult result = ParseLab(yaml, "labs/x.yaml", images_.path());
    EXPECT_EQ(result.lab.has_value(), result.errors.empty());
    return Lines(result.errors);
  }
  // A valid lab with `vm_extra` appended to vm 'router' (4-space indent)
  // and `top_extra` to the top level.
  std::vector<std::string> VmErrors(const std::string& vm_extra,
                                    const std::string& top_extra = "") {
    return Errors(
        "lab: x\n"                  // 1
        "images:\n"                 // 2
        "  - name: tiny\n"          // 3
        "    file: tiny.qcow2\n"    // 4
        "networks:\n"               // 5
        "  - name: lan\n"           // 6
        "    cidr: 10.10.0.0/24\n"  // 7
        "vms:\n"                    // 8
        "  - name: router\n"        // 9
        "    image: tiny\n" +       // 10
        vm_extra +
        top_extra);  // 11...
  }
  using V = std::vector<std::string>;
  TempImageDir images_;
};

TEST_F(LabErrorsTest, UnknownKeysGetDidYouMean) {
  EXPECT_EQ(VmErrors("    memroy: 256M\n"),
            V{"labs/x.yaml:11:5: unknown key 'memroy' in vm 'router' "
              "(did you mean 'memory'?)"});
  EXPECT_EQ(VmErrors("", "descripton: hi\n"),
            V{"labs/x.yaml:11:1: unknown key 'descripton' in the lab "
              "(did you mean 'description'?)"});
  EXPECT_EQ(VmErrors("", "zzzzzzzzzzz: hi\n"),
            V{"labs/x.yaml:11:1: unknown key 'zzzzzzzzzzz' in the lab "
              "(allowed: lab, description, images, networks, vms, schedule, "
              "idle-shutdown, cpu-limit)"});
  EXPECT_EQ(VmErrors("    nics:\n      - {network: lan, ip: 10.10.0.2, "
                     "netwrk: lan}\n"),
            V{"labs/x.yaml:12:39: unknown key 'netwrk' in nic 1 of vm 'router' "
              "(did you mean 'network'?)"});
  EXPECT_EQ(Errors("lab: x\nimages:\n  - name: tiny\n    file: tiny.qcow2\n"
                   "    fromat: raw\nvms: [{name: a, image: tiny}]\n"),
            V{"labs/x.yaml:5:5: unknown key 'fromat' in image 'tiny' "
              "(did you mean 'format'?)"});
  EXPECT_EQ(Errors("lab: x\nimages: [{name: tiny, file: tiny.qcow2}]\n"
                   "networks: [{name: lan, cidr: 10.0.0.0/24, dhcp: yes}]\n"
                   "vms: [{name: a, image: tiny}]\n"),
            V{"labs/x.yaml:3:43: unknown key 'dhcp' in network 'lan' "
              "(allowed: name, cidr)"});
}

TEST_F(LabErrorsTest, CpuLimitIsANumberOfHostCpus) {
  for (const char* bad : {"0", "0.001", "-1", "1.5.2", "1,5", "2 CPUs", "150%", "1025", ".5",
                          "1."}) {
    EXPECT_EQ(VmErrors("", std::string("cpu-limit: \"") + bad + "\"\n"),
              V{std::string("labs/x.yaml:11:12: 'cpu-limit' in the lab must be a number of "
                            "host CPUs from 0.01 to 1024 with at most two decimals (e.g. 1.5), "
                            "not '") +
                bad + "'"})
        << bad;
  }
  EXPECT_EQ(VmErrors("", "cpu-limit: [1]\n").size(), 1u);
}

// Aliases of aliases expand exponentially (a 3.7 KB lab gave 361,801
// diagnostics, found by tools/fuzz): refused at the first alias, before any
// expansion. An anchor alone is harmless.
TEST_F(LabErrorsTest, AliasesAreRefusedAtTheirPosition) {
  EXPECT_EQ(VmErrors("    nics: [&e {network: lan, ip: 10.10.0.1}, *e]\n"),
            (std::vector<std::string>{
                "labs/x.yaml:11:46: YAML aliases (*name) are not supported in a lab: "
                "write the value out in full"}));
  std::string bomb = "lab: x\nimages: [{name: i, file: tiny.qcow2}]\nvms: [&v {name: a, "
                     "image: i, nics: [&e {network: zz, ip: \"10.0.0.{index}\"}";
  for (int i = 0; i < 600; ++i) bomb += ",*e";
  bomb += "]}";
  for (int i = 0; i < 600; ++i) bomb += ",*v";
  bomb += "]";
  EXPECT_EQ(Errors(bomb).size(), 1u);
  EXPECT_EQ(VmErrors("    memory: &m 256M\n"), std::vector<std::string>{});
}

TEST_F(LabErrorsTest, DuplicateKeyPointsAtTheSecond) {
  EXPECT_EQ(VmErrors("    memory: 256M\n    memory: 512M\n"),
            V{"labs/x.yaml:12:5: duplicate key 'memory' in vm 'router' "
              "(first given at line 11)"});
}

TEST_F(LabErrorsTest, BadTypesAreErrorsNotExceptions) {
  const std::string memory_rule =
      "a size from 64 to 65536 MiB, as a number of MiB or with unit M, MiB, "
      "G or GiB (e.g. 512M, 1G)";
  EXPECT_EQ(VmErrors("    vcpus: two\n"),
            V{"labs/x.yaml:11:12: 'vcpus' in vm 'router' must be an integer "
              "from 1 to 64, not 'two'"});
  EXPECT_EQ(VmErrors("    vcpus: [1]\n"),
            V{"labs/x.yaml:11:12: 'vcpus' in vm 'router' must be an integer "
              "from 1 to 64, not a list"});
  EXPECT_EQ(VmErrors("    vcpus:\n"),
            V{"labs/x.yaml:11:5: 'vcpus' in vm 'router' has no value: "
              "expected an integer from 1 to 64"});
  EXPECT_EQ(VmErrors("    memory: {a: 1}\n"),
            V{"labs/x.yaml:11:13: 'memory' in vm 'router' must be " +
              memory_rule + ", not a mapping"});
  EXPECT_EQ(VmErrors("    hostname: {vm}\n"),
            V{"labs/x.yaml:11:15: 'hostname' in vm 'router' must be a "
              "string, not a mapping"});
  EXPECT_EQ(VmErrors("    nics: lan\n"),
            V{"labs/x.yaml:11:11: 'nics' in vm 'router' must be a list, not "
              "a string"});
  EXPECT_EQ(VmErrors("    commands: echo hi\n"),
            V{"labs/x.yaml:11:15: 'commands' in vm 'router' must be a list, "
              "not a string"});
  EXPECT_EQ(VmErrors("    commands:\n      - echo: hi\n      - [a]\n"),
            (V{"labs/x.yaml:12:9: command 1 in vm 'router' must be a string, "
               "not a mapping (quote a command that contains ': ')",
               "labs/x.yaml:13:9: command 2 in vm 'router' must be a string, "
               "not a list (quote a command that contains ': ')"}));
  EXPECT_EQ(VmErrors("  - just-a-string\n"),
            V{"labs/x.yaml:11:5: vm #2 must be a mapping, not a string"});
  EXPECT_EQ(Errors("images: {name: x}\nvms: 3\n"),
            (V{"labs/x.yaml:1:1: missing required key 'lab' in the lab",
               "labs/x.yaml:1:9: 'images' in the lab must be a list, not a "
               "mapping",
               "labs/x.yaml:2:6: 'vms' in the lab must be a list, not a "
               "string"}));
  EXPECT_EQ(Errors("- a\n"),
            V{"labs/x.yaml:1:1: a lab must be a mapping with keys lab, images "
              "and vms, not a list"});
  EXPECT_EQ(Errors(""),
            V{"labs/x.yaml:1:1: a lab must be a mapping with keys lab, images "
              "and vms, not an empty document"});
}

TEST_F(LabErrorsTest, MemoryAndVcpusRanges) {
  const std::string rule =
      "must be a size from 64 to 65536 MiB, as a number of MiB or with unit "
      "M, MiB, G or GiB (e.g. 512M, 1G)";
  EXPECT_EQ(
      VmErrors("    memory: 32M\n"),
      V{"labs/x.yaml:11:13: 'memory' in vm 'router' " + rule + ", not '32M'"});
  EXPECT_EQ(
      VmErrors("    memory: 65G\n"),
      V{"labs/x.yaml:11:13: 'memory' in vm 'router' " + rule + ", not '65G'"});
  EXPECT_EQ(
      VmErrors("    memory: lots\n"),
      V{"labs/x.yaml:11:13: 'memory' in vm 'router' " + rule + ", not 'lots'"});
  EXPECT_EQ(VmErrors("    vcpus: 0\n"),
            V{"labs/x.yaml:11:12: 'vcpus' in vm 'router' must be an integer "
              "from 1 to 64, not '0'"});
  EXPECT_EQ(VmErrors("    vcpus: 65\n"),
            V{"labs/x.yaml:11:12: 'vcpus' in vm 'router' must be an integer "
              "from 1 to 64, not '65'"});
}

TEST_F(LabErrorsTest, NamesAndDuplicates) {
  EXPECT_EQ(VmErrors("  - name: Client\n    image: tiny\n"),
            V{"labs/x.yaml:11:11: vm name 'Client' is invalid: must be a "
              "lowercase letter followed by up to 19 lowercase letters, digits "
              "or '-'"});
  EXPECT_EQ(VmErrors("  - name: router\n    image: tiny\n"),
            V{"labs/x.yaml:11:11: duplicate vm name 'router' (first defined at "
              "line 9)"});
  EXPECT_EQ(VmErrors("  - image: tiny\n"),
            V{"labs/x.yaml:11:5: missing required key 'name' in vm #2"});
  EXPECT_EQ(
      Errors("lab: Bad_Name\nimages:\n  - name: tiny\n    file: tiny.qcow2\n"
             "  - name: tiny\n    file: tiny.qcow2\nvms:\n  - name: a\n"
             "    image: tiny\n"),
      (V{"labs/x.yaml:1:6: lab name 'Bad_Name' is invalid: must be a "
         "lowercase letter followed by up to 19 lowercase letters, "
         "digits or '-'",
         "labs/x.yaml:5:11: duplicate image name 'tiny' (first defined "
         "at line 3)"}));
  EXPECT_EQ(
      Errors("lab: x\nimages: [{name: tiny, file: tiny.qcow2}]\nnetworks:\n"
             "  - {name: lan, cidr: 10.0.0.0/24}\n"
             "  - {name: lan, cidr: 10.1.0.0/24}\n"
             "vms: [{name: a, image: tiny}]\n"),
      V{"labs/x.yaml:5:12: duplicate network name 'lan' (first defined "
        "at line 4)"});
}

TEST_F(LabErrorsTest, UnknownReferencesGetDidYouMean) {
  EXPECT_EQ(VmErrors("  - name: client\n    image: tinny\n"),
            V{"labs/x.yaml:12:12: vm 'client' uses unknown image 'tinny' (did "
              "you mean 'tiny'?)"});
  EXPECT_EQ(VmErrors("  - name: client\n    image: something-else\n"),
            V{"labs/x.yaml:12:12: vm 'client' uses unknown image "
              "'something-else' (known images: tiny)"});
  EXPECT_EQ(
      VmErrors("    nics:\n      - network: lam\n        ip: 10.10.0.1\n"),
      V{"labs/x.yaml:12:18: nic 1 of vm 'router' uses unknown network "
        "'lam' (did you mean 'lan'?)"});
  EXPECT_EQ(Errors("lab: x\nimages: [{name: tiny, file: tiny.qcow2}]\n"
                   "vms:\n  - name: a\n    image: tiny\n"
                   "    nics: [{network: lan, ip: 10.0.0.1}]\n"),
            V{"labs/x.yaml:6:22: nic 1 of vm 'a' uses unknown network 'lan' "
              "(the lab defines no networks)"});
  EXPECT_EQ(VmErrors("    nics:\n      - lan\n      - network: lan\n"
                     "      - ip: 10.10.0.2\n"),
            (V{"labs/x.yaml:12:9: nic 1 of vm 'router' must be a mapping with "
               "keys network and ip, not a string",
               "labs/x.yaml:13:9: missing required key 'ip' in nic 2 of vm "
               "'router'",
               "labs/x.yaml:14:9: missing required key 'network' in nic 3 of "
               "vm 'router'"}));
}

TEST_F(LabErrorsTest, ImageFilesMustExist) {
  // "labs/x.yaml" is relative: its directory is taken from the working one.
  std::string labs_dir =
      std::filesystem::absolute("labs").lexically_normal().string();
  std::string where = images_.path() + " or " + labs_dir;
  EXPECT_EQ(
      Errors("lab: x\nimages:\n  - name: tiny\n    file: missing.qcow2\n"
             "    kernel: nok\n  - name: abs\n    file: /nope/abs.qcow2\n"
             "  - name: e\n    file: ''\nvms: [{name: a, image: tiny}]\n"),
      (V{"labs/x.yaml:4:11: file 'missing.qcow2' of image 'tiny' not found "
         "in " +
             where +
             " (copy it there; for the tiny test image run "
             "tools/build-test-image " +
             images_.path() + ")",
         "labs/x.yaml:5:13: kernel 'nok' of image 'tiny' not found in " +
             where +
             " (copy it there; for the tiny test image run "
             "tools/build-test-image " +
             images_.path() + ")",
         "labs/x.yaml:7:11: file '/nope/abs.qcow2' of image 'abs' does not "
         "exist (copy it there; for the tiny test image run "
         "tools/build-test-image /nope)",
         "labs/x.yaml:9:11: 'file' in image 'e' is empty: expected a path"}));
}

TEST_F(LabErrorsTest, ImageFormatAndKernelOptions) {
  EXPECT_EQ(
      Errors("lab: x\nimages:\n  - name: tiny\n    file: tiny.qcow2\n"
             "    format: vmdk\n    initrd: tiny.initrd\n    cmdline: quiet\n"
             "vms: [{name: a, image: tiny}]\n"),
      (V{"labs/x.yaml:5:13: 'format' in image 'tiny' must be qcow2 or raw, "
         "not 'vmdk'",
         "labs/x.yaml:6:13: 'initrd' in image 'tiny' needs 'kernel': it only "
         "applies to direct kernel boot",
         "labs/x.yaml:7:14: 'cmdline' in image 'tiny' needs 'kernel': it only "
         "applies to direct kernel boot"}));
}

TEST_F(LabErrorsTest, NetworkCidrs) {
  EXPECT_EQ(
      Errors("lab: x\nimages: [{name: tiny, file: tiny.qcow2}]\nnetworks:\n"
             "  - {name: a, cidr: 10.10.0.1/24}\n"
             "  - {name: b, cidr: 10.0.0.0/31}\n"
             "  - {name: c, cidr: 10.0.0.0/7}\n"
             "  - {name: d, cidr: 10.0.0.0}\n"
             "  - {name: e}\n"
             "vms: [{name: v, image: tiny}]\n"),
      (V{"labs/x.yaml:4:21: cidr '10.10.0.1/24' of network 'a' has host bits "
         "set (did you mean '10.10.0.0/24'?)",
         "labs/x.yaml:5:21: cidr '10.0.0.0/31' of network 'b' has prefix /31: "
         "allowed /8 to /30",
         "labs/x.yaml:6:21: cidr '10.0.0.0/7' of network 'c' has prefix /7: "
         "allowed /8 to /30",
         "labs/x.yaml:7:21: 'cidr' in network 'd' must be an IPv4 network "
         "such as 10.10.0.0/24, not '10.0.0.0'",
         "labs/x.yaml:8:5: missing required key 'cidr' in network 'e'"}));
}

TEST_F(LabErrorsTest, IpAddressesAreCheckedAtParseTime) {
  auto nic = [&](const std::string& ip) {
    return VmErrors("    nics:\n      - network: lan\n        ip: " + ip +
                    "\n");
  };
  EXPECT_EQ(
      nic("10.10.0.300"),
      V{"labs/x.yaml:13:13: ip '10.10.0.300' is not a valid IPv4 address"});
  EXPECT_EQ(nic("10.10.1.5"),
            V{"labs/x.yaml:13:13: ip '10.10.1.5' is outside network 'lan' "
              "(10.10.0.0/24)"});
  EXPECT_EQ(nic("10.10.0.0"),
            V{"labs/x.yaml:13:13: ip '10.10.0.0' is the network address of "
              "'lan' (10.10.0.0/24)"});
  EXPECT_EQ(nic("10.10.0.255"),
            V{"labs/x.yaml:13:13: ip '10.10.0.255' is the broadcast address of "
              "'lan' (10.10.0.0/24)"});
  EXPECT_EQ(nic("10.10.0.{index}00"), V{});  // 10.10.0.100 for index 1
  EXPECT_EQ(nic("\"10.10.{index}00.1\""),
            V{"labs/x.yaml:13:13: ip '10.10.100.1' (from '10.10.{index}00.1' "
              "for sample owner 'student', index 1) is outside network 'lan' "
              "(10.10.0.0/24)"});
  EXPECT_EQ(
      VmErrors("    nics:\n      - network: lan\n        ip: 10.10.0.1\n"
               "      - network: lan\n        ip: 10.10.0.1\n"),
      V{"labs/x.yaml:15:13: ip '10.10.0.1' is already used by vm 'router' "
        "on network 'lan' (line 13)"});
  // The same pattern on two VMs clashes in every World.
  EXPECT_EQ(VmErrors("    nics: [{network: lan, ip: \"10.10.0.{index}\"}]\n",
                     "  - name: client\n    image: tiny\n"
                     "    nics: [{network: lan, ip: \"10.10.0.{index}\"}]\n"),
            V{"labs/x.yaml:14:31: ip '10.10.0.1' (from '10.10.0.{index}' for "
              "sample owner 'student', index 1) is already used by vm 'router' "
              "on network 'lan' (line 11)"});
}

TEST_F(LabErrorsTest, NicKeysIncludeGatewayAndDns) {
  auto nic = [&](const std::string& extra) {
    return VmErrors("    nics:\n      - network: lan\n        ip: 10.10.0.2\n" +
                    extra);
  };
  EXPECT_EQ(nic("        gatway: 10.10.0.1\n"),
            V{"labs/x.yaml:14:9: unknown key 'gatway' in nic 1 of vm 'router' "
              "(did you mean 'gateway'?)"});
  EXPECT_EQ(nic("        dsn: 10.10.0.1\n"),
            V{"labs/x.yaml:14:9: unknown key 'dsn' in nic 1 of vm 'router' "
              "(did you mean 'dns'?)"});
  EXPECT_EQ(nic("        nameservers: [10.10.0.1]\n"),
            V{"labs/x.yaml:14:9: unknown key 'nameservers' in nic 1 of vm "
              "'router' (allowed: network, ip, gateway, dns)"});
}

TEST_F(LabErrorsTest, NicGateway) {
  // nic 1 of vm 'router', with the gateway on line 14 (value at column 18).
  auto gateway = [&](const std::string& value) {
    return VmErrors(
        "    nics:\n      - network: lan\n        ip: 10.10.0.2\n"
        "        gateway: " +
        value + "\n");
  };
  EXPECT_EQ(gateway("10.10.0.1"), V{});
  EXPECT_EQ(gateway("10.10.1.1"),
            V{"labs/x.yaml:14:18: gateway '10.10.1.1' of nic 1 of vm 'router' "
              "is outside network 'lan' (10.10.0.0/24)"});
  EXPECT_EQ(gateway("10.10.0.0"),
            V{"labs/x.yaml:14:18: gateway '10.10.0.0' of nic 1 of vm 'router' "
              "is the network address of 'lan' (10.10.0.0/24)"});
  EXPECT_EQ(gateway("10.10.0.255"),
            V{"labs/x.yaml:14:18: gateway '10.10.0.255' of nic 1 of vm "
              "'router' is the broadcast address of 'lan' (10.10.0.0/24)"});
  EXPECT_EQ(gateway("\"10.10.0.{index}\""),
            V{"labs/x.yaml:14:18: 'gateway' in nic 1 of vm 'router' must be a "
              "fixed IPv4 address, not a pattern ('10.10.0.{index}')"});
  EXPECT_EQ(gateway("router"),
            V{"labs/x.yaml:14:18: 'gateway' in nic 1 of vm 'router' must be "
              "an IPv4 address such as 10.10.0.1, not 'router'"});
  EXPECT_EQ(gateway("10.10.0.256"),
            V{"labs/x.yaml:14:18: 'gateway' in nic 1 of vm 'router' must be "
              "an IPv4 address such as 10.10.0.1, not '10.10.0.256'"});
  EXPECT_EQ(gateway("[10.10.0.1]"),
            V{"labs/x.yaml:14:18: 'gateway' in nic 1 of vm 'router' must be "
              "an IPv4 address such as 10.10.0.1, not a list"});
  EXPECT_EQ(gateway(""),
            V{"labs/x.yaml:14:9: 'gateway' in nic 1 of vm 'router' has no "
              "value: expected an IPv4 address such as 10.10.0.1"});
  // The NIC's own fixed address: reported at the ip, as its clashes are.
  EXPECT_EQ(gateway("10.10.0.2"),
            V{"labs/x.yaml:13:13: ip '10.10.0.2' is also the gateway of the "
              "same nic: the gateway must be another host on 'lan', such as a "
              "router"});
  // Another VM's address is the usual gateway (the router's): no clash.
  EXPECT_EQ(VmErrors("    nics: [{network: lan, ip: 10.10.0.1}]\n",
                     "  - name: client\n    image: tiny\n"
                     "    nics: [{network: lan, ip: 10.10.0.10, "
                     "gateway: 10.10.0.1}]\n"),
            V{});
  // With an unknown network only the network is reported.
  EXPECT_EQ(VmErrors("    nics: [{network: lam, ip: 10.10.0.2, "
                     "gateway: 10.99.0.1}]\n"),
            V{"labs/x.yaml:11:22: nic 1 of vm 'router' uses unknown network "
              "'lam' (did you mean 'lan'?)"});
}

TEST_F(LabErrorsTest, NicDns) {
  // nic 1 of vm 'router', with dns on line 14 (value at column 14).
  auto dns = [&](const std::string& value) {
    return VmErrors(
        "    nics:\n      - network: lan\n        ip: 10.10.0.2\n"
        "        dns: " +
        value + "\n");
  };
  EXPECT_EQ(dns("[10.10.0.1, 1.1.1.1, 9.9.9.9]"), V{});
  EXPECT_EQ(dns("1.1.1.1"), V{});
  EXPECT_EQ(dns("[1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]"),
            V{"labs/x.yaml:14:42: 'dns' in nic 1 of vm 'router' has 4 "
              "addresses: at most 3 (a guest's resolver uses only the first "
              "three)"});
  EXPECT_EQ(dns("[1.1.1.1, 8.8.8]"),
            V{"labs/x.yaml:14:24: dns entry 2 in nic 1 of vm 'router' must be "
              "an IPv4 address such as 10.10.0.1, not '8.8.8'"});
  // Each entry is reported at its own place; an empty one, whose place
  // yaml-cpp does not know, at the list.
  EXPECT_EQ(dns("\n          - 10.10.0.{index}\n          - {a: 1}\n"
                "          -\n"),
            (V{"labs/x.yaml:15:11: dns entry 3 in nic 1 of vm 'router' must "
               "be an IPv4 address such as 10.10.0.1, not nothing",
               "labs/x.yaml:15:13: dns entry 1 in nic 1 of vm 'router' must "
               "be a fixed IPv4 address, not a pattern ('10.10.0.{index}')",
               "labs/x.yaml:16:13: dns entry 2 in nic 1 of vm 'router' must "
               "be an IPv4 address such as 10.10.0.1, not a mapping"}));
  EXPECT_EQ(dns("1.1.1"),
            V{"labs/x.yaml:14:14: 'dns' in nic 1 of vm 'router' must be an "
              "IPv4 address such as 10.10.0.1, not '1.1.1'"});
  EXPECT_EQ(dns("{a: 1}"),
            V{"labs/x.yaml:14:14: 'dns' in nic 1 of vm 'router' must be a "
              "list of one to three IPv4 addresses, not a mapping"});
  EXPECT_EQ(dns("[]"),
            V{"labs/x.yaml:14:14: 'dns' in nic 1 of vm 'router' is empty: "
              "list one to three IPv4 addresses, or leave 'dns' out"});
  EXPECT_EQ(dns(""),
            V{"labs/x.yaml:14:9: 'dns' in nic 1 of vm 'router' has no value: "
              "expected a list of one to three IPv4 addresses"});
}

TEST_F(LabErrorsTest, NicGatewayAndDnsErrorsComeInOnePass) {
  EXPECT_EQ(VmErrors("    nics:\n"                     // 11
                     "      - network: lan\n"          // 12
                     "        ip: 10.10.0.2\n"         // 13
                     "        gateway: 10.10.9.1\n"    // 14
                     "        dns: [1.1.1.1, x]\n"     // 15
                     "      - network: lan\n"          // 16
                     "        ip: 10.10.0.3\n"         // 17
                     "        gateway: 10.10.0.3\n"),  // 18
            (V{"labs/x.yaml:14:18: gateway '10.10.9.1' of nic 1 of vm "
               "'router' is outside network 'lan' (10.10.0.0/24)",
               "labs/x.yaml:15:24: dns entry 2 in nic 1 of vm 'router' must "
               "be an IPv4 address such as 10.10.0.1, not 'x'",
               "labs/x.yaml:17:13: ip '10.10.0.3' is also the gateway of the "
               "same nic: the gateway must be another host on 'lan', such as "
               "a router"}));
}

TEST_F(LabErrorsTest, PatternPlaceholders) {
  EXPECT_EQ(
      VmErrors("    nics:\n      - network: lan\n        ip: 10.10.0.{user}\n"),
      V{"labs/x.yaml:13:13: unknown placeholder '{user}' in ip "
        "'10.10.0.{user}' (allowed: {owner}, {vm}, {lab}, {index})"});
  EXPECT_EQ(VmErrors("    hostname: \"{vm}-{user}\"\n"),
            V{"labs/x.yaml:11:15: unknown placeholder '{user}' in hostname "
              "'{vm}-{user}' (allowed: {owner}, {vm}, {lab}, {index})"});
  EXPECT_EQ(VmErrors("    hostname: \"{vm\"\n"),
            V{"labs/x.yaml:11:15: unclosed '{' in hostname '{vm' (allowed: "
              "{owner}, {vm}, {lab}, {index})"});
  EXPECT_EQ(
      VmErrors("    hostname: \"{vm}_{owner}\"\n"),
      V{"labs/x.yaml:11:15: hostname 'router_student' of vm 'router' "
        "(from '{vm}_{owner}' for sample owner 'student', index 1) is not "
        "a valid hostname: use letters, digits and '-', at most 63 "
        "characters, not starting or ending with '-'"});
  EXPECT_EQ(VmErrors("    hostname: web-\n"),
            V{"labs/x.yaml:11:15: hostname 'web-' of vm 'router' is not a "
              "valid hostname: use letters, digits and '-', at most 63 "
              "characters, not starting or ending with '-'"});
  EXPECT_EQ(VmErrors("    hostname: \"{lab}-{vm}-{owner}-{index}\"\n"), V{});
  // Commands are never an error, whatever their braces.
  EXPECT_EQ(VmErrors("    commands: ['echo ${HOME} {user} {owner']\n"), V{});
}

TEST_F(LabErrorsTest, EmptyLists) {
  EXPECT_EQ(Errors("lab: x\nimages: []\nvms: []\n"),
            (V{"labs/x.yaml:2:9: 'images' must list at least one image",
               "labs/x.yaml:3:6: 'vms' must list at least one vm"}));
  EXPECT_EQ(Errors("lab: x\nimages:\nvms:\n"),
            (V{"labs/x.yaml:2:1: 'images' must list at least one image",
               "labs/x.yaml:3:1: 'vms' must list at least one vm"}));
}

TEST_F(LabErrorsTest, YamlSyntaxErrorIsOneDiagnostic) {
  EXPECT_EQ(Errors("lab: x\nimages: [x\nvms:\n  - name: a\n"),
            V{"labs/x.yaml:3:4: YAML syntax error: end of sequence flow not "
              "found"});
  EXPECT_EQ(Errors("lab: x\n  bad: indent\n"),
            V{"labs/x.yaml:2:6: YAML syntax error: illegal map value"});
}

TEST_F(LabErrorsTest, ManyErrorsAreAllReportedInFileOrder) {
  std::vector<std::string> errors = Errors(
      "lab: Net\n"                    // 1
      "images:\n"                     // 2
      "  - name: tiny\n"              // 3
      "    file: tiny.qcow2\n"        // 4
      "    format: vmdk\n"            // 5
      "networks:\n"                   // 6
      "  - name: lan\n"               // 7
      "    cidr: 10.10.0.0/33\n"      // 8
      "vms:\n"                        // 9
      "  - name: router\n"            // 10
      "    image: tiny\n"             // 11
      "    memroy: 256M\n"            // 12
      "    vcpus: two\n"              // 13
      "    nics:\n"                   // 14
      "      - network: lan\n"        // 15
      "        ip: 10.10.0.{user}\n"  // 16
      "  - name: router\n"            // 17
      "    image: tinny\n"            // 18
      "    hostname: \"-{vm}\"\n");   // 19
  EXPECT_EQ(
      errors,
      (V{"labs/x.yaml:1:6: lab name 'Net' is invalid: must be a lowercase "
         "letter followed by up to 19 lowercase letters, digits or '-'",
         "labs/x.yaml:5:13: 'format' in image 'tiny' must be qcow2 or "
         "raw, not 'vmdk'",
         "labs/x.yaml:8:11: 'cidr' in network 'lan' must be an IPv4 "
         "network such as 10.10.0.0/24, not '10.10.0.0/33'",
         "labs/x.yaml:12:5: unknown key 'memroy' in vm 'router' (did you "
         "mean 'memory'?)",
         "labs/x.yaml:13:12: 'vcpus' in vm 'router' must be an integer "
         "from 1 to 64, not 'two'",
         "labs/x.yaml:16:13: unknown placeholder '{user}' in ip "
         "'10.10.0.{user}' (allowed: {owner}, {vm}, {lab}, {index})",
         "labs/x.yaml:17:11: duplicate vm name 'router' (first defined "
         "at line 10)",
         "labs/x.yaml:18:12: vm 'router' uses unknown image 'tinny' (did "
         "you mean 'tiny'?)"}));
}

TEST_F(LabErrorsTest, UnreadableFileIsOneDiagnostic) {
  LabParseResult result =
      ParseLabFile(images_.path() + "/missing.yaml", images_.path());
  EXPECT_FALSE(result.lab);
  EXPECT_EQ(Lines(result.errors),
            V{images_.path() + "/missing.yaml: cannot read lab file: No such "
                               "file or directory"});
}

}  // namespace
}  // namespace config
