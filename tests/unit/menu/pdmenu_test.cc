#include "menu/pdmenu.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/error_text.h"
#include "unit/menu/fake_backend.h"

namespace menu {
namespace {

TEST(PdmenuTest, TwoWorldsExactText) {
  std::vector<broker::VmView> vms = {Vm("netlab", "alice", "router", "running"),
                                     Vm("weblab", "alice", "web", "shut off"),
                                     Vm("netlab", "alice", "client", "shut off")};
  PdmenuOptions options;
  options.program = "/usr/local/bin/worlds";
  EXPECT_EQ(PdmenuRc("alice", vms, options),
            R"(# Pdmenu rc file for alice, written by `worlds menu --pdmenu` from what the
# Worlds broker lists for them. Regenerate it rather than edit it.
# Each action calls back into `worlds menu`, which asks the broker; the
# broker decides what this account may do.
title:Worlds - alice

menu:main:Worlds - alice:Your Worlds: pick one, then a VM
	show:_1 netlab (alice)..::world1
	show:_2 weblab (alice)..::world2
	nop
	exit:_Quit
endmenu

menu:world1:World netlab (alice):Pick a VM
	show:_router..::world1vm1
	show:_client..::world1vm2
	nop
	exit:_Back
endmenu

menu:world1vm1:router (netlab (alice)):What to do with router
	exec:_Console (Ctrl-] returns here)::/usr/local/bin/worlds menu --console w-netlab-alice-router
	exec:_Start:pause:/usr/local/bin/worlds menu --start w-netlab-alice-router
	exec:S_hut down:pause:/usr/local/bin/worlds menu --shutdown w-netlab-alice-router
	exec:_Power off:pause:/usr/local/bin/worlds menu --poweroff w-netlab-alice-router
	exec:_Revert to the clean snapshot:pause:/usr/local/bin/worlds menu --revert w-netlab-alice-router
	nop
	exit:_Back
endmenu

menu:world1vm2:client (netlab (alice)):What to do with client
	exec:_Console (Ctrl-] returns here)::/usr/local/bin/worlds menu --console w-netlab-alice-client
	exec:_Start:pause:/usr/local/bin/worlds menu --start w-netlab-alice-client
	exec:S_hut down:pause:/usr/local/bin/worlds menu --shutdown w-netlab-alice-client
	exec:_Power off:pause:/usr/local/bin/worlds menu --poweroff w-netlab-alice-client
	exec:_Revert to the clean snapshot:pause:/usr/local/bin/worlds menu --revert w-netlab-alice-client
	nop
	exit:_Back
endmenu

menu:world2:World weblab (alice):Pick a VM
	show:_web..::world2vm1
	nop
	exit:_Back
endmenu

menu:world2vm1:web (weblab (alice)):What to do with web
	exec:_Console (Ctrl-] returns here)::/usr/local/bin/worlds menu --console w-weblab-alice-web
	exec:_Start:pause:/usr/local/bin/worlds menu --start w-weblab-alice-web
	exec:S_hut down:pause:/usr/local/bin/worlds menu --shutdown w-weblab-alice-web
	exec:_Power off:pause:/usr/local/bin/worlds menu --poweroff w-weblab-alice-web
	exec:_Revert to the clean snapshot:pause:/usr/local/bin/worlds menu --revert w-weblab-alice-web
	nop
	exit:_Back
endmenu
)");
}

TEST(PdmenuTest, SocketIsPassedOn) {
  PdmenuOptions options;
  options.socket = "/tmp/b.sock";
  std::string rc = PdmenuRc("bob", {Vm("l", "bob", "v", "running")}, options);
  EXPECT_NE(rc.find("\texec:_Start:pause:worlds menu --socket /tmp/b.sock --start w-l-bob-v\n"),
            std::string::npos)
      << rc;
}

TEST(PdmenuTest, NoVms) {
  std::string rc = PdmenuRc("carol", {}, PdmenuOptions());
  EXPECT_NE(rc.find("menu:main:Worlds - carol:Your Worlds: pick one, then a VM\n"
                    "\tnop:No VMs are deployed for you yet.\n\tnop\n\texit:_Quit\nendmenu\n"),
            std::string::npos)
      << rc;
  EXPECT_EQ(rc.find("menu:world"), std::string::npos);
}

TEST(PdmenuTest, TextIsEscaped) {
  EXPECT_EQ(PdmenuText("a:b_c\\d\ne\rf@USER@g\x7fh"), "a-b-c-d-e-f-USER-g-h");
  EXPECT_EQ(PdmenuText("net-lab 1 (x)"), "net-lab 1 (x)");
  broker::VmView odd = {"lab:x", "ev\nil", "v_m", "w-lab-evil-vm", "running"};
  std::string rc = PdmenuRc("us:er\nx", {odd}, PdmenuOptions());
  EXPECT_NE(rc.find("title:Worlds - us-er-x\n"), std::string::npos) << rc;
  EXPECT_NE(rc.find("\tshow:_1 lab-x (ev-il)..::world1\n"), std::string::npos) << rc;
  EXPECT_NE(rc.find("\tshow:_v-m..::world1vm1\n"), std::string::npos) << rc;
  EXPECT_NE(rc.find("menu:world1vm1:v-m (lab-x (ev-il)):What to do with v-m\n"),
            std::string::npos)
      << rc;
}

TEST(PdmenuTest, DomainsThatAreNotWorldsNamesAreLeftOut) {
  std::vector<broker::VmView> vms = {{"lab", "a", "v", "w-x; rm -rf /", "running"},
                                     {"lab", "a", "v", "other", "running"}};
  std::string rc = PdmenuRc("a", vms, PdmenuOptions());
  EXPECT_EQ(rc.find("rm -rf"), std::string::npos) << rc;
  EXPECT_EQ(rc.find("other"), std::string::npos) << rc;
  EXPECT_NE(rc.find("nop:No VMs are deployed for you yet."), std::string::npos) << rc;
}

TEST(PdmenuTest, UnsafeProgramOrSocketIsRefused) {
  PdmenuOptions options;
  options.program = "/opt/my worlds/worlds";
  EXPECT_EQ(support::ErrorText([&] { PdmenuRc("a", {}, options); }),
            "cannot write a Pdmenu command calling '/opt/my worlds/worlds' (install worlds "
            "in a path of letters, digits and / . _ + -)");
  options = PdmenuOptions();
  options.socket = "/tmp/$(id)";
  EXPECT_THROW(PdmenuRc("a", {}, options), core::Error);
}

}  // namespace
}  // namespace menu
