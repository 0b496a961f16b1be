// The orchestration's world: everything deploy, destroy, status and the
// executor reach outside their own memory (libvirt, libguestfs, worker
// processes, overlay disks) comes in through an Env, as leveldb's Env does,
// so that unit tests run whole flows with fakes and an in-process worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deploy/protocol.h"
#include "guest/customizer.h"
#include "guest/inspector.h"
#include "hosts/inventory.h"
#include "virt/hypervisor.h"

namespace deploy {

struct Context;

// Makes one hypervisor connection; called once per thread that needs one,
// since a connection is used by one thread at a time.
using HypervisorFactory = std::function<std::unique_ptr<virt::Hypervisor>()>;

// Makes one customizer (one appliance's worth of work at a time).
using CustomizerFactory = std::function<std::unique_ptr<guest::Customizer>()>;

// Inspects base images (read-only, all in one appliance); results in
// `images` order. Throws core::Error when it cannot inspect.
using ImageInspector =
    std::function<std::vector<guest::OsInfo>(const std::vector<guest::ImageRef>& images)>;

// The VMs' disks: qcow2 overlays over read-only bases. Thread-safe.
class Disks {
 public:
  virtual ~Disks() = default;
  virtual bool Exists(const std::string& path) = 0;
  // Whether the image at `path` holds the internal snapshot `clean`.
  // Throws core::Error (where = path) when it is missing or not readable as
  // an image (half-written, corrupt): never guessed.
  virtual bool HasClean(const std::string& path) = 0;
  // The backing file recorded in the image at `path` (nullopt: none).
  // Throws core::Error like HasClean.
  virtual std::optional<std::string> BackingFile(const std::string& path) = 0;
  // image::CreateOverlay: `overlay` backed by `base` (format `base_format`),
  // parent directories made; throws core::Error when `overlay` exists or
  // the base cannot be used.
  virtual void CreateOverlay(const std::string& base, const std::string& base_format,
                             const std::string& overlay) = 0;
  // Removes the file at `path` if it exists; throws core::Error when it
  // exists and cannot be removed.
  virtual void Remove(const std::string& path) = 0;
  // Bytes the file occupies on the host; 0 when it does not exist.
  virtual uint64_t AllocatedBytes(const std::string& path) = 0;
  // The size of the disk the guest sees in the image at `path`. Throws
  // core::Error like HasClean.
  virtual uint64_t VirtualBytes(const std::string& path) = 0;
  // Bytes an unprivileged writer may still use on the filesystem holding
  // `path` (its nearest existing parent while it does not exist), like
  // df's "Avail". Throws core::Error when it cannot be read.
  virtual uint64_t FreeBytes(const std::string& path) = 0;
  // The sha256 of the file at `path`, in hex. Throws core::Error when it
  // cannot be read.
  virtual std::string Checksum(const std::string& path) = 0;
  // image::ExportSnapshot: `snapshot` of the image at `path` as the image
  // `out`, on the same host. Throws core::Error like it.
  virtual void ExportSnapshot(const std::string& path, const std::string& snapshot,
                              const std::string& out) = 0;
};

// Disks over the host's filesystem and qemu-img (image/overlay.h).
std::unique_ptr<Disks> NewQemuImgDisks();

// A started worker: what it writes (protocol Messages, one per line), then
// how it ended.
class WorkerProcess {
 public:
  virtual ~WorkerProcess() = default;
  // The worker's next line into `*line`; false once it has closed its
  // output. Called from one thread.
  virtual bool ReadLine(std::string* line) = 0;
  // Waits until the worker has ended and says how: "exited with status N"
  // or "was killed by signal N (Name)".
  virtual std::string Wait() = 0;
};

// Starts a worker running `batch`, its diagnostics going to the file
// `log_path`. Throws core::Error when it cannot start. May be called from
// one thread at a time.
using WorkerLauncher = std::function<std::unique_ptr<WorkerProcess>(
    const Batch& batch, const std::string& log_path)>;

// Workers as processes: `exe __worker <our pid>` (process::Spawn), the batch
// on their stdin.
WorkerLauncher ProcessWorkerLauncher(const std::string& exe);
// Workers on the lab host of `uri`: `<ssh> host <remote_exe> __worker ssh`
// (hosts::SshArgv), the batch on their stdin through the connection, their
// diagnostics (ssh's too) in the log file here. The batch's connect is that
// host's own libvirt (qemu:///system there), its paths that host's.
// Throws core::InputError when `uri` cannot be reached over SSH.
WorkerLauncher SshWorkerLauncher(const std::string& uri, const std::string& remote_exe);

// How the deploy reaches the disks and workers of one lab host of the
// inventory (issue 14). A host on this machine (qemu:///system) has this
// machine's disks and process workers; another has `worlds __disks` and
// `worlds __worker ssh` there, over SSH.
struct HostAccess {
  std::shared_ptr<Disks> disks;
  WorkerLauncher launch_worker;
  // What its workers connect to: the host's libvirt as seen from there.
  std::string worker_connect;
  // Copies a base image (the local file at a path) to the same path on the
  // host, verified there by its sha256 (the second argument); empty for a
  // host that shares this machine's files.
  std::function<void(const std::string& path, const std::string& sha256)> copy_file;
  // Moving a World's overlays (all three empty for a host that shares this
  // machine's files): a local file to a path on the host, kept writable and
  // verified there by its sha256; and a file of the host to a local path.
  std::function<void(const std::string& local, const std::string& remote,
                     const std::string& sha256)>
      send_file;
  std::function<void(const std::string& remote, const std::string& local)> fetch_file;
};

struct Env {
  HypervisorFactory hypervisor;
  // Connects to a lab host of the inventory by its URI (placement reads
  // each host's size and load through it). Empty: no host can be reached.
  hosts::Connector connect_host;
  // The disks and workers of the lab host with this URI; log files of its
  // connections go under the directory given. Empty: no host can be reached.
  std::function<HostAccess(const std::string& uri, const std::string& log_dir)> reach_host;
  CustomizerFactory customizer;  // used by workers (WorkerMain, in-process ones)
  ImageInspector inspect_images;
  WorkerLauncher launch_worker;
  std::shared_ptr<Disks> disks;
  // Whether the host can run what a deploy makes; throws core::Error naming
  // what blocks it and the fix. Called before a deploy changes anything.
  // Empty: no check (unit tests' fakes).
  std::function<void()> check_host;
};

// The real one for `context`: libvirt at context.connect, libguestfs with
// its backend settings, `worlds __worker` processes of context.worker_exe,
// qemu-img for the disks, and a host check that QEMU can reach the state
// and image dirs (deploy/qemu_access.h). Opens nothing until called.
Env RealEnv(const Context& context);

}  // namespace deploy
