#include "hosts/ssh_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "support/error_text.h"

namespace hosts {
namespace {

using Argv = std::vector<std::string>;

// `program` with the options every ssh gets (no questions; a host that
// stops answering is given up), then `rest`.
Argv Ssh(const std::string& program, const Argv& rest) {
  Argv argv = {program, "-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15",
               "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3"};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

TEST(SshArgvTest, ReachesTheHostAsLibvirtsSshTransportDoes) {
  EXPECT_EQ(SshArgv("qemu+ssh://lab2/system", {"worlds", "__worker", "ssh"}),
            Ssh("ssh", {"--", "lab2", "worlds", "__worker", "ssh"}));
  EXPECT_EQ(SshArgv("qemu+ssh://root@lab2.example.edu:2222/system", {"true"}),
            Ssh("ssh", {"-p", "2222", "-l", "root", "--", "lab2.example.edu", "true"}));
  EXPECT_EQ(SshArgv("qemu+ssh://root@[2001:db8::2]:22/system", {"true"}),
            Ssh("ssh", {"-p", "22", "-l", "root", "--", "2001:db8::2", "true"}));
}

TEST(SshArgvTest, TakesLibvirtsKeyfileCommandAndNoVerifyParameters) {
  EXPECT_EQ(SshArgv("qemu+ssh://root@198.51.100.2/system?keyfile=/var/lib/h/id%5Fkey&"
                    "command=/var/lib/h/ssh&no_verify=1&socket=/run/x",
                    {"true"}),
            Ssh("/var/lib/h/ssh", {"-l", "root", "-i", "/var/lib/h/id_key", "-o",
                                   "StrictHostKeyChecking=no", "--", "198.51.100.2", "true"}));
  EXPECT_EQ(SshArgv("qemu+libssh2://root@lab2/system?no_verify=0", {"true"}),
            Ssh("ssh", {"-l", "root", "--", "lab2", "true"}));
}

// What libvirt's own ssh is configured with for the host: its command=
// binary, host, user and port, and nothing of Worlds' own options.
TEST(SshConfigArgvTest, AsksSshForWhatLibvirtsSshUses) {
  EXPECT_EQ(SshConfigArgv("qemu+ssh://root@lab2.example.edu:2222/system?keyfile=/k"),
            (Argv{"ssh", "-G", "-p", "2222", "-l", "root", "--", "lab2.example.edu"}));
  EXPECT_EQ(SshConfigArgv("qemu+ssh://lab2/system?command=/var/lib/h/ssh"),
            (Argv{"/var/lib/h/ssh", "-G", "--", "lab2"}));
  EXPECT_THROW(SshConfigArgv("qemu:///system"), core::InputError);
}

// Where a VM migrating to a host is sent: its URI's host, whatever the
// transport; a URI without one leaves it to libvirt (the host's own name).
TEST(MigrationUriTest, IsTheHostOfTheLibvirtUri) {
  EXPECT_EQ(MigrationUri("qemu+ssh://root@198.51.100.2/system?keyfile=/k"), "tcp://198.51.100.2");
  EXPECT_EQ(MigrationUri("qemu+tls://lab2.example.edu:16514/system"),
            "tcp://lab2.example.edu");
  EXPECT_EQ(MigrationUri("qemu+ssh://root@[2001:db8::2]:22/system"), "tcp://[2001:db8::2]");
  EXPECT_EQ(MigrationUri("qemu:///system"), "");
  EXPECT_EQ(MigrationUri("test:///default"), "");
}

TEST(SshArgvTest, RefusesAHostItCannotReachOverSsh) {
  for (const char* uri : {"qemu:///system", "qemu+tls://lab2/system", "lab2", "qemu+ssh:///system"}) {
    EXPECT_THROW(SshArgv(uri, {"true"}), core::InputError) << uri;
  }
  EXPECT_EQ(support::ErrorText([] { SshArgv("qemu+tls://lab2/system", {"true"}); }),
            "uri: 'qemu+tls://lab2/system' does not reach its host over SSH (a lab host's "
            "workers run over SSH: give it a qemu+ssh://[user@]host/system URI, with root's key "
            "accepted there)");
}

// The remote shell joins the words: only plain ones, so it runs this argv.
TEST(SshArgvTest, RefusesAWordTheRemoteShellWouldReadAsMore) {
  for (const char* word : {"a b", "x;rm", "$(id)", "`id`", "a|b", "", "it's", "a\nb", "*"}) {
    EXPECT_THROW(SshArgv("qemu+ssh://lab2/system", {"worlds", word}), core::Error) << word;
  }
}

}  // namespace
}  // namespace hosts
