// The broker's test fixture: a real broker Server in this process over
// FakeHypervisor and a real SQLite file in a temp dir (also its state dir,
// for the World locks), on a real Unix socket. Every connection comes from
// this process's uid, so identity is injected: the test says who "the
// socket" is (Be).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker_client/client.h"
#include "broker/server.h"
#include "fakes/fake_hypervisor.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace broker {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    socket_ = dir_ + "/run/broker.sock";
    store_ = store::Store::Open(dir_ + "/state.db");
    store_->UpsertLab("lab1", "lab1.yaml", "");
    store_->UpsertUser("alice", "Alice", "lab-a");
    store_->UpsertUser("bob", "Bob", "lab-b");
    AddVm("alice", "router");
    AddVm("alice", "client");
    AddVm("bob", "router");
    AddVm("lab-a", "router");  // a World deployed per group
    Listen();
  }

  void TearDown() override { StopServer(); }

  void AddVm(const std::string& owner, const std::string& name) {
    store_->UpsertWorld("lab1", owner, 0);
    store::VmRecord vm;
    vm.lab = "lab1";
    vm.owner = owner;
    vm.vm = name;
    vm.domain = "w-lab1-" + owner + "-" + name;
    vm.overlay = dir_ + "/" + vm.domain + ".qcow2";
    vm.phase = store::VmPhase::kReady;
    store_->SetVm(vm);
    fakes::FakeHypervisor::Domain domain;
    domain.spec.name = vm.domain;
    domain.snapshots = {"clean"};
    hv_.domains[vm.domain] = domain;
  }

  void Listen() {
    ServerOptions options;
    options.socket_path = socket_;
    options.max_clients = max_clients_;
    options.idle_timeout_ms = idle_timeout_ms_;
    options.state_dir = dir_;
    options.rules_interval_ms = rules_interval_ms_;
    options.resolve = [this](uid_t uid) {
      std::lock_guard<std::mutex> lock(who_mu_);
      Identity identity = who_;
      identity.uid = uid;
      return identity;
    };
    options.connect_host = connect_host_;
    server_ = std::make_unique<Server>(options, hv_, *store_);
    server_->Listen();
    serving_ = std::thread([this] { server_->Serve(); });
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    serving_.join();
    server_.reset();
  }

  void Be(const std::string& user, bool admin = false) {
    std::lock_guard<std::mutex> lock(who_mu_);
    who_.user = user;
    who_.admin = admin;
  }

  Reply Call(Op op, const std::string& domain = "") {
    Client client(socket_);
    Request request;
    request.op = op;
    request.domain = domain;
    return client.Call(request);
  }

  // A raw connection, for what Client would never send.
  int Connect() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, socket_.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }
  static void Send(int fd, const std::string& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `n` bytes, a newline (when `line`) or EOF, or 5 s pass.
  static std::string Receive(int fd, bool line = true, size_t n = 1 << 20) {
    std::string out;
    while (out.size() < n && (!line || out.find('\n') == std::string::npos)) {
      struct pollfd pfd = {fd, POLLIN, 0};
      if (::poll(&pfd, 1, 5000) <= 0) break;
      char c[4096];
      ssize_t got = ::recv(fd, c, line ? 1 : std::min(sizeof c, n - out.size()), 0);
      if (got <= 0) break;
      out.append(c, got);
    }
    return out;
  }

  std::vector<store::Event> Events() {
    std::lock_guard<std::mutex> lock(store_mu_);
    return store_->Events({});
  }

  support::TempDir temp_{"worlds-broker-"};
  std::string dir_;
  std::string socket_;
  int max_clients_ = 256;
  int idle_timeout_ms_ = 5 * 60 * 1000;
  int rules_interval_ms_ = 0;  // the lab rules are lab_rules_test's
  fakes::FakeHypervisor hv_;
  // ServerOptions::connect_host for the next Listen(); empty: none.
  std::function<std::unique_ptr<virt::Hypervisor>(const std::string& host)> connect_host_;
  std::unique_ptr<store::Store> store_;
  std::mutex store_mu_;
  std::mutex who_mu_;
  Identity who_;
  std::unique_ptr<Server> server_;
  std::thread serving_;
};

}  // namespace broker
