#include "broker_client/protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace broker {
namespace {

std::string ErrorOf(const std::string& line) {
  std::string error;
  std::optional<Request> request = ParseRequest(line, &error);
  EXPECT_FALSE(request.has_value()) << line;
  return error;
}

TEST(ProtocolTest, ParsesEveryOp) {
  std::string error;
  auto whoami = ParseRequest(R"({"v":1,"op":"whoami"})", &error);
  ASSERT_TRUE(whoami) << error;
  EXPECT_EQ(whoami->op, Op::kWhoami);
  auto list = ParseRequest(R"({"op":"list","v":1})", &error);
  ASSERT_TRUE(list) << error;
  EXPECT_EQ(list->op, Op::kList);
  EXPECT_EQ(EncodeRequest({Op::kList, "ignored"}), R"({"op":"list","v":1})");
  for (Op op : {Op::kStart, Op::kShutdown, Op::kPowerOff, Op::kRevert, Op::kConsole}) {
    std::string line = std::string(R"({"v":1,"op":")") + ToString(op) +
                       R"(","domain":"w-netlab-alice-router"})";
    auto request = ParseRequest(line, &error);
    ASSERT_TRUE(request) << line << ": " << error;
    EXPECT_EQ(request->op, op);
    EXPECT_EQ(request->domain, "w-netlab-alice-router");
    auto back = ParseRequest(EncodeRequest(*request), &error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->op, op);
    EXPECT_EQ(back->domain, request->domain);
  }
}

TEST(ProtocolTest, RefusesWhatIsNotVersionOneJson) {
  EXPECT_EQ(ErrorOf("hello"), "malformed request: not JSON");
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"list")"), "malformed request: not JSON");
  EXPECT_EQ(ErrorOf(""), "malformed request: not JSON");
  EXPECT_EQ(ErrorOf(R"(["v",1])"), "malformed request: not a JSON object");
  EXPECT_EQ(ErrorOf(R"({"v":2,"op":"list"})"),
            R"(unsupported protocol version (this broker speaks "v":1))");
  EXPECT_EQ(ErrorOf(R"({"v":"1","op":"list"})"),
            R"(unsupported protocol version (this broker speaks "v":1))");
  EXPECT_EQ(ErrorOf(R"({"op":"list"})"),
            R"(unsupported protocol version (this broker speaks "v":1))");
}

TEST(ProtocolTest, RefusesUnknownOpsAndFields) {
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"shell"})"),
            R"(unknown op "shell" (known: whoami, list, start, shutdown, poweroff, revert, console))");
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":7})"), R"(malformed request: "op" must be a string)");
  EXPECT_EQ(ErrorOf(R"({"v":1})"), R"(malformed request: "op" must be a string)");
  // Nothing may name a user: the caller is who the socket says.
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"list","user":"root"})"), R"(unknown field "user")");
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"list","uid":0})"), R"(unknown field "uid")");
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"list","domain":"w-a-b-c"})"),
            R"(op "list" takes no "domain")");
  // A long hostile name is cut short, not echoed whole.
  std::string op(300, 'x');
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":")" + op + "\"}"),
            "unknown op \"" + std::string(40, 'x') +
                "...\" (known: whoami, list, start, shutdown, poweroff, revert, console)");
}

TEST(ProtocolTest, RefusesMissingAndHostileDomains) {
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"start"})"), R"(op "start" needs a "domain")");
  const std::string invalid = "invalid domain name (expected w-[a-z0-9_-]+)";
  for (const char* domain :
       {R"("")", R"("w-")", R"("netlab-alice-router")", R"("w-Alice")", R"("w-a/../../etc")",
        R"("w-a b")", R"("w-a;reboot")", R"("w-a\nb")", R"("w-a\u0000b")", R"("w-ä")",
        R"("w-a'--")", "5", "null", R"(["w-a"])"}) {
    EXPECT_EQ(ErrorOf(std::string(R"({"v":1,"op":"start","domain":)") + domain + "}"), invalid)
        << domain;
  }
  EXPECT_EQ(ErrorOf(R"({"v":1,"op":"start","domain":"w-)" + std::string(200, 'a') + "\"}"),
            invalid);
  EXPECT_TRUE(IsDomainName("w-netlab-alice_1-router"));
}

TEST(ProtocolTest, RefusesOversizedLines) {
  std::string line = R"({"v":1,"op":"list","pad":")" + std::string(kMaxRequestBytes, ' ') + "\"}";
  EXPECT_EQ(ErrorOf(line), "request longer than 4096 bytes");
}

TEST(ProtocolTest, RepliesRoundTrip) {
  Reply list;
  list.ok = true;
  EXPECT_EQ(EncodeReply(list), R"({"ok":true,"v":1,"vms":[]})");
  list.vms.push_back({"netlab", "alice", "router", "w-netlab-alice-router", "shut off"});
  Reply back = ParseReply(EncodeReply(list));
  ASSERT_TRUE(back.ok);
  ASSERT_EQ(back.vms.size(), 1u);
  EXPECT_EQ(back.vms[0].domain, "w-netlab-alice-router");
  EXPECT_EQ(back.vms[0].state, "shut off");

  Reply whoami;
  whoami.ok = true;
  whoami.user = "alice";
  whoami.uid = 1001;
  EXPECT_EQ(EncodeReply(whoami), R"({"admin":false,"ok":true,"uid":1001,"user":"alice","v":1})");
  back = ParseReply(EncodeReply(whoami));
  EXPECT_EQ(back.user, "alice");
  EXPECT_EQ(back.uid, 1001);

  Reply state;
  state.ok = true;
  state.state = "running";
  EXPECT_EQ(EncodeReply(state), R"({"ok":true,"state":"running","v":1})");

  Reply refused;
  refused.error = "user 'x' has no Worlds";
  EXPECT_EQ(EncodeReply(refused), R"({"error":"user 'x' has no Worlds","ok":false,"v":1})");
  EXPECT_EQ(ParseReply(EncodeReply(refused)).error, "user 'x' has no Worlds");
}

TEST(ProtocolTest, MalformedRepliesThrow) {
  const char* fix = " (check that `worlds` and `worlds broker` are the same version)";
  for (auto [line, why] : std::initializer_list<std::pair<const char*, const char*>>{
           {"nope", "not a JSON object"},
           {R"({"v":2,"ok":true})", "unsupported protocol version"},
           {R"({"v":1})", "no \"ok\""},
           {R"({"v":1,"ok":false})", "a refusal without an \"error\""},
           {R"({"v":1,"ok":true,"vms":{}})", "\"vms\" is not a list"}}) {
    try {
      ParseReply(line);
      ADD_FAILURE() << line;
    } catch (const core::Error& e) {
      EXPECT_EQ(e.Describe(), std::string("malformed reply from the Worlds broker: ") + why + fix);
    }
  }
}

}  // namespace
}  // namespace broker

namespace broker {
namespace {

TEST(ProtocolTest, ListCarriesHostKeysOnlyWhenThereAreSome) {
  Reply list;
  list.ok = true;
  list.vms = {{"netlab", "alice", "router", "w-netlab-alice-router", "running",
               {"ED25519 SHA256:abc"}},
              {"netlab", "alice", "client", "w-netlab-alice-client", "shut off"}};
  const std::string text = EncodeReply(list);
  EXPECT_NE(text.find(R"("host_keys":["ED25519 SHA256:abc"])"), std::string::npos) << text;
  EXPECT_EQ(text.find("host_keys", text.find("w-netlab-alice-client")), std::string::npos);
  Reply back = ParseReply(text);
  ASSERT_EQ(back.vms.size(), 2u);
  EXPECT_EQ(back.vms[0].host_keys, (std::vector<std::string>{"ED25519 SHA256:abc"}));
  EXPECT_TRUE(back.vms[1].host_keys.empty());
  EXPECT_THROW(ParseReply(R"({"ok":true,"v":1,"vms":[{"host_keys":"x"}]})"), core::Error);
}

}  // namespace
}  // namespace broker
