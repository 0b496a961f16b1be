// The listening socket and the accept loop; connection.cc serves each client.
#include "broker/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "broker/connection.h"
#include "broker_client/protocol.h"
#include "core/error.h"

namespace broker {
namespace {

core::Error SocketError(const std::string& what, const std::string& path) {
  return core::Error(what + ": " + std::strerror(errno), path);
}

}  // namespace

std::unique_lock<std::mutex> VmLocks::Lock(const std::string& domain) {
  std::mutex* vm_mu;
  {
    std::lock_guard<std::mutex> hold(mu_);
    std::unique_ptr<std::mutex>& slot = locks_[domain];
    if (!slot) slot = std::make_unique<std::mutex>();
    vm_mu = slot.get();  // stable: entries are never removed
  }
  return std::unique_lock<std::mutex>(*vm_mu);
}

virt::Hypervisor& Backend::HypervisorOf(const std::string& host) {
  if (host.empty()) return *hypervisor;
  HostConnection* slot = nullptr;
  {
    std::lock_guard<std::mutex> lock(hosts_mu_);
    std::unique_ptr<HostConnection>& entry = hosts_[host];
    if (!entry) entry = std::make_unique<HostConnection>();
    slot = entry.get();  // stable: entries are never removed
  }
  // Connecting to a host that is down can take its whole timeout: only
  // requests for that host wait on it, never another host's.
  std::lock_guard<std::mutex> lock(slot->mu);
  if (!slot->connection) {
    if (!options.connect_host) {
      throw core::Error("the World lives on lab host '" + host +
                            "', and this broker has no inventory",
                        host, "restart the broker");
    }
    slot->connection = options.connect_host(host);
  }
  // Never replaced once made (a lost one is opened again inside it).
  return *slot->connection;
}

virt::Hypervisor& Backend::ReaderOf(const std::string& host) {
  return host.empty() ? *reader : HypervisorOf(host);
}

Server::Server(ServerOptions options, virt::Hypervisor& hypervisor, store::Store& store,
               virt::Hypervisor* reader) {
  backend_.options = std::move(options);
  if (!backend_.options.resolve) backend_.options.resolve = SystemIdentity("worlds-admin");
  backend_.hypervisor = &hypervisor;
  backend_.reader = reader ? reader : &hypervisor;
  backend_.rules = &rules_;
  backend_.store = &store;
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) < 0) {
    throw SocketError("cannot create a pipe", backend_.options.socket_path);
  }
}

Server::~Server() {
  Stop();
  {
    // Connection threads use backend_: wait for the last one.
    std::unique_lock<std::mutex> lock(clients_mu_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    clients_cv_.wait(lock, [this] { return client_fds_.empty(); });
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  RemoveSocket();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void Server::Listen() {
  const std::string& path = backend_.options.socket_path;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    throw core::Error("socket path is empty or longer than " +
                          std::to_string(sizeof addr.sun_path - 1) + " bytes",
                      path, "pick a shorter --socket");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw core::Error("cannot create directory: " + ec.message(), parent.string());
    ::chmod(parent.c_str(), 0755);
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    // Only a socket is ours to replace: a typo must not delete a file.
    if (!S_ISSOCK(st.st_mode)) {
      throw core::Error("exists and is not a socket", path, "remove it or pick another --socket");
    }
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 &&
                ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      throw core::Error("another broker is already listening", path,
                        "stop it first, or pick another --socket");
    }
    if (::unlink(path.c_str()) < 0) throw SocketError("cannot remove stale socket", path);
  }

  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw SocketError("cannot create socket", path);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    throw SocketError("cannot bind socket", path);
  }
  socket_created_ = true;
  if (::chmod(path.c_str(), backend_.options.socket_mode) < 0) {
    throw SocketError("cannot set the socket's mode", path);
  }
  if (::listen(listen_fd_, 128) < 0) throw SocketError("cannot listen", path);
}

void Server::Adopt(int fd) {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  RemoveSocket();  // one made by an earlier Listen(), never the adopted one's
  listen_fd_ = fd;
}

void Server::Stop() {
  char byte = 1;
  // Async-signal-safe; a full pipe means a stop is already pending.
  ssize_t ignored = ::write(wake_[1], &byte, 1);
  (void)ignored;
}

void Server::RemoveSocket() {
  if (!socket_created_) return;
  ::unlink(backend_.options.socket_path.c_str());
  socket_created_ = false;
}

void Server::RulesThread() {
  for (;;) {
    rules_.Tick(std::chrono::system_clock::now());
    struct pollfd wake = {wake_[0], POLLIN, 0};
    if (::poll(&wake, 1, backend_.options.rules_interval_ms) != 0) return;  // Stop()
  }
}

void Server::Serve() {
  if (listen_fd_ < 0) Listen();
  // The self-pipe's byte stays unread until Serve returns, so this thread
  // sees the same Stop() as the accept loop.
  std::thread rules;
  if (backend_.options.rules_interval_ms > 0) rules = std::thread(&Server::RulesThread, this);
  struct JoinRules {
    Server* server;
    std::thread& thread;
    ~JoinRules() {
      if (!thread.joinable()) return;
      server->Stop();  // a no-op after the real one; ends the thread if Serve throws
      thread.join();
    }
  } join_rules{this, rules};
  for (;;) {
    struct pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw SocketError("cannot wait for clients", backend_.options.socket_path);
    }
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up already, or out of fds: next
    {
      std::lock_guard<std::mutex> lock(clients_mu_);
      if (static_cast<int>(client_fds_.size()) >= backend_.options.max_clients) {
        Reply busy;
        busy.error = "busy: too many clients, try again";
        std::string line = EncodeReply(busy) + "\n";
        SendAll(fd, line.data(), line.size());
        ::close(fd);
        continue;
      }
      client_fds_.insert(fd);
    }
    std::thread(&Server::ConnectionThread, this, fd).detach();
  }
  // Stop accepting at once; connections in progress are told to end.
  ::close(listen_fd_);
  listen_fd_ = -1;
  RemoveSocket();
  std::unique_lock<std::mutex> lock(clients_mu_);
  for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
  clients_cv_.wait(lock, [this] { return client_fds_.empty(); });
}

void Server::ConnectionThread(int fd) {
  ServeConnection(backend_, fd);
  std::lock_guard<std::mutex> lock(clients_mu_);
  ::close(fd);
  client_fds_.erase(fd);
  clients_cv_.notify_all();
}

}  // namespace broker
