// The libvirt adapter without a daemon: a bad URI, and libvirt's in-process
// test driver (test:///default), which keeps everything in memory.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "support/error_text.h"
#include "virt/hypervisor.h"

namespace virt {
namespace {

TEST(LibvirtConnectTest, FailureNamesTheUriQuietly) {
  const std::string uri = "qemu+unix:///system?socket=/nonexistent/worlds.sock";
  testing::internal::CaptureStderr();
  try {
    NewLibvirtHypervisor(uri);
    ADD_FAILURE() << "connected to " << uri;
  } catch (const core::Error& e) {
    EXPECT_EQ(e.message().rfind("cannot connect to libvirt at " + uri + ": ", 0), 0u)
        << e.message();
    EXPECT_NE(e.message().find("/nonexistent/worlds.sock"), std::string::npos);
    EXPECT_EQ(e.fix(), "start libvirtd (libvirtd -d) or pass --connect URI");
  }
  // libvirt's default handler would have printed the error as well.
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(LibvirtTestDriverTest, NetworkDomainAndSnapshotRoundTrip) {
  std::unique_ptr<Hypervisor> hv = NewLibvirtHypervisor("test:///default");
  hv->EnsureNetwork({"w-lab-alice-lan", "wbtest1"});
  hv->EnsureNetwork({"w-lab-alice-lan", "wbtest1"});
  EXPECT_EQ(hv->ListNetworks("w-"), std::vector<std::string>{"w-lab-alice-lan"});

  DomainSpec spec;
  spec.name = "w-lab-alice-pc";
  spec.disk_path = "/nonexistent/pc.qcow2";  // the test driver opens no files
  spec.interfaces = {{"w-lab-alice-lan", "52:54:00:00:00:01"}};
  hv->DefineDomain(spec);
  EXPECT_EQ(hv->ListDomains("w-lab-"), std::vector<std::string>{"w-lab-alice-pc"});
  EXPECT_EQ(hv->State(spec.name), DomainState::kShutOff);
  hv->CreateSnapshot(spec.name, "clean");
  EXPECT_TRUE(hv->HasSnapshot(spec.name, "clean"));
  EXPECT_FALSE(hv->HasSnapshot(spec.name, "other"));
  EXPECT_EQ(hv->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
  hv->Start(spec.name);
  EXPECT_EQ(hv->State(spec.name), DomainState::kRunning);
  EXPECT_EQ(support::ErrorText([&] { hv->Start(spec.name); }),
            "w-lab-alice-pc: domain 'w-lab-alice-pc' is already running");
  hv->RevertToSnapshot(spec.name, "clean");
  EXPECT_EQ(hv->State(spec.name), DomainState::kShutOff);
  hv->Start(spec.name);
  hv->RemoveDomain(spec.name);
  hv->RemoveDomain(spec.name);
  EXPECT_FALSE(hv->DomainExists(spec.name));

  // Defined again: the snapshot metadata went with the domain; adopt it back.
  hv->DefineDomain(spec);
  EXPECT_FALSE(hv->HasSnapshot(spec.name, "clean"));
  hv->AdoptSnapshot(spec.name, "clean");
  hv->AdoptSnapshot(spec.name, "clean");
  EXPECT_EQ(hv->ListSnapshots(spec.name), std::vector<std::string>{"clean"});
  hv->RevertToSnapshot(spec.name, "clean");
  hv->RemoveDomain(spec.name);
  EXPECT_FALSE(hv->DomainExists(spec.name));
  hv->RemoveNetwork("w-lab-alice-lan");
  hv->RemoveNetwork("w-lab-alice-lan");
  EXPECT_FALSE(hv->NetworkExists("w-lab-alice-lan"));
}

TEST(LibvirtTestDriverTest, LibvirtErrorsCarryItsMessageAndTheName) {
  std::unique_ptr<Hypervisor> hv = NewLibvirtHypervisor("test:///default");
  DomainSpec spec;
  spec.name = "w-lab-bad";
  spec.disk_path = "/nonexistent/bad.img";
  spec.disk_format = "bogus";  // renders fine; libvirt refuses it
  {
    const core::Error e = support::ThrownError([&] { hv->DefineDomain(spec); });
    EXPECT_EQ(e.where(), "w-lab-bad");
    EXPECT_EQ(e.message().rfind("cannot define domain: ", 0), 0u) << e.message();
    EXPECT_NE(e.message().find("bogus"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(hv->DomainExists("w-lab-bad"));
}

}  // namespace
}  // namespace virt
