#include "virt/network_hook.h"

#include <gtest/gtest.h>

#include "support/error_text.h"

namespace virt {
namespace {

// As libvirt 9 sends it on "started" (hookData around the live network).
constexpr const char* kStarted = R"(<hookData>
  <network>
    <name>w-lab1-alice-lan</name>
    <uuid>6b8e3c1e-1f0e-4c39-9b1f-0d7e2b1d9c01</uuid>
    <bridge name='wb0123456789abc' stp='on' delay='0'/>
    <mac address='52:54:00:12:34:56'/>
  </network>
</hookData>
)";

TEST(NetworkHookTest, GuardsOnlyAWorldsNetworkOnceStarted) {
  EXPECT_TRUE(HookGuardsBridge("w-lab1-alice-lan", "started"));
  // At "start" libvirt has not made the bridge yet.
  EXPECT_FALSE(HookGuardsBridge("w-lab1-alice-lan", "start"));
  for (const char* op : {"stopped", "updated", "port-created", "port-deleted"}) {
    EXPECT_FALSE(HookGuardsBridge("w-lab1-alice-lan", op)) << op;
  }
  EXPECT_FALSE(HookGuardsBridge("default", "started"));
  EXPECT_FALSE(HookGuardsBridge("lab-w-net", "started"));
  EXPECT_FALSE(HookGuardsBridge("W-lab1-alice-lan", "started"));
  EXPECT_FALSE(HookGuardsBridge("w", "started"));
}

TEST(NetworkHookTest, ReadsTheBridgeFromHookDataOrABareNetwork) {
  EXPECT_EQ(BridgeOfNetworkXml(kStarted), "wb0123456789abc");
  EXPECT_EQ(BridgeOfNetworkXml("<network><name>w-x</name><bridge name=\"wbx\"/></network>"), "wbx");
}

TEST(NetworkHookTest, XmlWithoutABridgeIsAnError) {
  EXPECT_EQ(support::ErrorText([] {
              BridgeOfNetworkXml(
                  "<hookData><network><name>w-x</name>"
                  "</network></hookData>");
            }),
            "the network XML libvirt gave the hook: names no bridge (<bridge name='...'/>)");
  EXPECT_EQ(support::ErrorText([] { BridgeOfNetworkXml("<hookData/>"); }),
            "the network XML libvirt gave the hook: has no <network> element");
  EXPECT_EQ(support::ErrorText([] { BridgeOfNetworkXml(""); }),
            "the network XML libvirt gave the hook: cannot parse: No document element found "
            "at offset 0");
  EXPECT_EQ(support::ErrorText([] { BridgeOfNetworkXml("<network><bridge name='a'"); }),
            "the network XML libvirt gave the hook: cannot parse: Error parsing start element "
            "tag at offset 24");
}

}  // namespace
}  // namespace virt
