#include "deploy/env.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <filesystem>

#include "core/error.h"
#include "core/names.h"
#include "deploy/host_disks.h"
#include "deploy/operations.h"
#include "deploy/qemu_access.h"
#include "hosts/ssh_command.h"
#include "image/overlay.h"
#include "process/process.h"

namespace deploy {

namespace {

class QemuImgDisks : public Disks {
 public:
  bool Exists(const std::string& path) override { return std::filesystem::exists(path); }
  bool HasClean(const std::string& path) override {
    for (const std::string& snap : image::Inspect(path).snapshots) {
      if (snap == core::kCleanSnapshot) return true;
    }
    return false;
  }
  std::optional<std::string> BackingFile(const std::string& path) override {
    return image::Inspect(path).backing_file;
  }
  void CreateOverlay(const std::string& base, const std::string& base_format,
                     const std::string& overlay) override {
    image::CreateOverlay(base, base_format, overlay);
  }
  void Remove(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) throw core::Error("cannot remove the overlay: " + ec.message(), path);
  }
  uint64_t AllocatedBytes(const std::string& path) override {
    return std::filesystem::exists(path) ? image::AllocatedBytes(path) : 0;
  }
  uint64_t VirtualBytes(const std::string& path) override {
    return image::Inspect(path).virtual_size;
  }
  uint64_t FreeBytes(const std::string& path) override {
    std::filesystem::path existing = std::filesystem::absolute(path);
    std::error_code ec;
    while (!std::filesystem::exists(existing, ec) && existing.has_relative_path()) {
      existing = existing.parent_path();
    }
    struct statvfs st;
    if (::statvfs(existing.c_str(), &st) != 0) {
      throw core::Error("cannot read the free space: " + std::string(std::strerror(errno)),
                        existing.string());
    }
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
  std::string Checksum(const std::string& path) override { return image::Checksum(path); }
  void ExportSnapshot(const std::string& path, const std::string& snapshot,
                      const std::string& out) override {
    image::ExportSnapshot(path, snapshot, out);
  }
};

class ChildWorker : public WorkerProcess {
 public:
  // `argv` starts the worker (here, or ssh to a lab host); `fix` is what to
  // check when it cannot start.
  ChildWorker(const std::vector<std::string>& argv, const std::string& fix, const Batch& batch,
              const std::string& log_path)
      : child_(Start(argv, fix, log_path)) {
    child_.Write(EncodeBatch(batch));
    child_.CloseStdin();
  }
  bool ReadLine(std::string* line) override {
    std::optional<std::string> next = child_.ReadLine();
    if (!next) return false;
    *line = std::move(*next);
    return true;
  }
  // "exited with status N", or "was killed by signal N (Name)" for a worker
  // the OOM killer or a SIGKILL ended (never "exited with status 9").
  std::string Wait() override { return child_.Wait().Describe(); }

 private:
  static process::Child Start(const std::vector<std::string>& argv, const std::string& fix,
                              const std::string& log_path) {
    try {
      return process::Spawn(argv, {log_path});
    } catch (const core::Error& e) {
      throw core::Error("cannot start a worker: " + e.message(), argv.front(), fix);
    }
  }
  process::Child child_;
};

}  // namespace

std::unique_ptr<Disks> NewQemuImgDisks() { return std::make_unique<QemuImgDisks>(); }

WorkerLauncher ProcessWorkerLauncher(const std::string& exe) {
  return [exe](const Batch& batch, const std::string& log_path) {
    return std::unique_ptr<WorkerProcess>(
        new ChildWorker({exe, "__worker", std::to_string(::getpid())},
                        "check that it is the worlds binary and executable", batch, log_path));
  };
}

WorkerLauncher SshWorkerLauncher(const std::string& uri, const std::string& remote_exe) {
  std::vector<std::string> argv = hosts::SshArgv(uri, {remote_exe, "__worker", "ssh"});
  std::string fix = "check that `" + argv.front() + "` reaches the host of " + uri +
                    " with root's key and that " + remote_exe + " is worlds there";
  return [argv, fix](const Batch& batch, const std::string& log_path) {
    // A worker here inherits the fault tests' failpoint; one over SSH is
    // given it in its batch.
    Batch sent = batch;
    if (const char* failpoint = std::getenv("WORLDS_FAILPOINT")) sent.config.failpoint = failpoint;
    return std::unique_ptr<WorkerProcess>(new ChildWorker(argv, fix, sent, log_path));
  };
}

Env RealEnv(const Context& context) {
  Env env;
  std::string connect = context.connect;
  env.hypervisor = [connect] { return virt::NewLibvirtHypervisor(connect); };
  env.connect_host = [](const std::string& uri) { return virt::NewLibvirtHypervisor(uri); };
  guest::GuestfsOptions guestfs;
  guestfs.backend = context.guestfs_backend;
  guestfs.backend_settings = context.guestfs_settings;
  env.customizer = [guestfs] { return guest::NewGuestfsCustomizer(guestfs); };
  env.inspect_images = [guestfs](const std::vector<guest::ImageRef>& images) {
    return guest::InspectImages(images, guestfs);
  };
  env.launch_worker = ProcessWorkerLauncher(context.worker_exe);
  env.disks = NewQemuImgDisks();
  std::string exe = context.worker_exe;
  std::shared_ptr<Disks> local_disks = env.disks;
  // Every lab host has worlds at the same path as this machine (the
  // package's /usr/bin/worlds): README, "Several hosts".
  env.reach_host = [exe, local_disks](const std::string& uri, const std::string& log_dir) {
    HostAccess access;
    access.worker_connect = hosts::IsLocalUri(uri) ? uri : "qemu:///system";
    if (hosts::IsLocalUri(uri)) {
      access.disks = local_disks;
      access.launch_worker = ProcessWorkerLauncher(exe);
      return access;
    }
    std::string log;  // "": ssh's complaints go to our stderr
    if (!log_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(log_dir, ec);
      log = log_dir + "/disks-" + std::to_string(::getpid()) + ".log";
    }
    access.disks = NewSshDisks(uri, exe, log);
    access.launch_worker = SshWorkerLauncher(uri, exe);
    access.copy_file = [uri, exe](const std::string& path, const std::string& sha256) {
      SendFile(uri, exe, path, path, sha256, /*writable=*/false);
    };
    access.send_file = [uri, exe](const std::string& local, const std::string& remote,
                                  const std::string& sha256) {
      SendFile(uri, exe, local, remote, sha256, /*writable=*/true);
    };
    access.fetch_file = [uri, exe](const std::string& remote, const std::string& local) {
      FetchFile(uri, exe, remote, local);
    };
    return access;
  };
  std::vector<std::string> reached = {core::WorldsDir(context.state_dir), context.ImageDir()};
  env.check_host = [connect, reached] { CheckQemuCanReach(connect, reached); };
  return env;
}

}  // namespace deploy
