#include "deploy/env.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <boost/process.hpp>

#include "core/error.h"
#include "core/names.h"
#include "deploy/operations.h"
#include "image/overlay.h"

namespace deploy {

namespace {

namespace bp = boost::process;

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
};

class ChildWorker : public WorkerProcess {
 public:
  ChildWorker(const std::string& exe, const Batch& batch, const std::string& log_path) {
    bp::opstream input;
    try {
      child_ = bp::child(exe, "__worker", std::to_string(::getpid()), bp::std_in < input,
                         bp::std_out > output_, bp::std_err > log_path);
    } catch (const std::exception& e) {
      throw core::Error(std::string("cannot start a worker: ") + e.what(), exe,
                        "check that it is the worlds binary and executable");
    }
    input << EncodeBatch(batch);
    input.flush();
    input.pipe().close();
  }
  bool ReadLine(std::string* line) override {
    return static_cast<bool>(std::getline(output_, *line));
  }
  std::string Wait() override {
    child_.wait();
    // A worker killed (OOM killer, SIGKILL) must not read as "exited with
    // status 9": say it was a signal.
    int status = child_.native_exit_code();
    if (WIFSIGNALED(status)) {
      return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
             ::strsignal(WTERMSIG(status)) + ")";
    }
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }

 private:
  bp::ipstream output_;  // before child_: the child writes into it
  bp::child child_;
};

}  // namespace

std::unique_ptr<Disks> NewQemuImgDisks() { return std::make_unique<QemuImgDisks>(); }

WorkerLauncher ProcessWorkerLauncher(const std::string& exe) {
  return [exe](const Batch& batch, const std::string& log_path) {
    return std::unique_ptr<WorkerProcess>(new ChildWorker(exe, batch, log_path));
  };
}

Env RealEnv(const Context& context) {
  Env env;
  std::string connect = context.connect;
  env.hypervisor = [connect] { return virt::NewLibvirtHypervisor(connect); };
  guest::GuestfsOptions guestfs;
  guestfs.backend = context.guestfs_backend;
  guestfs.backend_settings = context.guestfs_settings;
  env.customizer = [guestfs] { return guest::NewGuestfsCustomizer(guestfs); };
  env.inspect_images = [guestfs](const std::vector<guest::ImageRef>& images) {
    return guest::InspectImages(images, guestfs);
  };
  env.launch_worker = ProcessWorkerLauncher(context.worker_exe);
  env.disks = NewQemuImgDisks();
  return env;
}

}  // namespace deploy
