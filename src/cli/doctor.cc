#include "cli/doctor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "accounts/sshd_check.h"
#include "accounts/sync.h"
#include "accounts/system_accounts.h"
#include "cli/command.h"
#include "cli/exit_status.h"
#include "core/error.h"
#include "core/names.h"
#include "deploy/qemu_access.h"
#include "guest/customizer.h"
#include "hosts/inventory.h"
#include "hosts/ssh_command.h"
#include "process/process.h"
#include "virt/hypervisor.h"
#include "virt/partition.h"

namespace cli {

namespace {

std::string AccelFile(const std::string& state_dir) { return state_dir + "/accel"; }

class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void Ok(const std::string& check, const std::string& detail) {
    out_ << "ok    " << check << ": " << detail << "\n" << std::flush;
  }
  void Fail(const std::string& check, const std::string& detail,
            const std::string& fix, bool fatal = true) {
    out_ << (fatal ? "FAIL  " : "warn  ") << check << ": " << detail << "\n";
    if (!fix.empty()) out_ << "      fix: " << fix << "\n";
    out_ << std::flush;
    failed_ |= fatal;
  }
  bool failed() const { return failed_; }

 private:
  std::ostream& out_;
  bool failed_ = false;
};

// Whether a World's partition can be made here (virt/partition.h): a probe
// partition made and removed. Its level has no '_', so it is no World's.
// A warning: with cpu-partitions = none the host does without.
void CheckPartitions(Report& report) {
  const std::string probe = std::string(core::kWorldsPartition) + "/doctor-probe";
  if (::access(virt::CgroupHost().systemd_marker.c_str(), F_OK) == 0) {
    report.Ok("cpu partitions", "systemd makes each World's slice");
    return;
  }
  try {
    virt::EnsurePartition({probe});
    virt::RemovePartition(probe);
    report.Ok("cpu partitions", "made and removed " + probe + " in the cgroups");
  } catch (const core::Error& e) {
    report.Fail("cpu partitions", e.Describe(),
                "run as root on the libvirt host, or set cpu-partitions = none", false);
  }
}

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// A kernel to boot for the acceleration check: the test image's, else the
// newest in /boot.
std::string CheckKernel(const std::string& image_dir) {
  if (std::filesystem::exists(image_dir + "/tiny.vmlinuz")) return image_dir + "/tiny.vmlinuz";
  std::vector<std::string> kernels;
  for (const auto& entry : std::filesystem::directory_iterator("/boot")) {
    if (entry.path().filename().string().rfind("vmlinuz-", 0) == 0) {
      kernels.push_back(entry.path().string());
    }
  }
  std::sort(kernels.begin(), kernels.end());
  return kernels.empty() ? "" : kernels.back();
}

struct BootResult {
  bool booted = false;   // the guest kernel ran far enough to panic on no root
  bool timed_out = false;
  int exit_code = 0;
  std::string tail;      // the last output, for the report
  double seconds = 0;
};

// Boots `kernel` with no root under `accel`: a kernel that reaches "VFS:
// Unable to mount root" (or any panic) really ran. panic=-1 reboots at
// once and -no-reboot turns that into QEMU exiting.
BootResult BootKernel(const std::string& kernel, const std::string& accel,
                      int timeout_seconds) {
  BootResult result;
  auto start = std::chrono::steady_clock::now();
  process::RunOptions options;
  options.timeout = std::chrono::seconds(timeout_seconds);
  process::Result qemu;
  try {
    qemu = process::Run({"qemu-system-x86_64", "-accel", accel, "-m", "256", "-nographic",
                         "-nodefaults", "-no-reboot", "-serial", "stdio", "-kernel", kernel,
                         "-append", "console=ttyS0 panic=-1"},
                        options);
  } catch (const core::Error& e) {
    result.tail = e.message();
    return result;
  }
  result.timed_out = qemu.timed_out;
  result.exit_code = qemu.exit_code;
  // The guest's console is on stdout, QEMU's own complaints on stderr.
  std::string text = qemu.out + qemu.err;
  result.booted = text.find("Kernel panic") != std::string::npos ||
                  text.find("VFS: Unable to mount root") != std::string::npos;
  result.tail = text.size() > 300 ? text.substr(text.size() - 300) : text;
  std::replace(result.tail.begin(), result.tail.end(), '\n', ' ');
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

constexpr const char* kSshd = "/usr/sbin/sshd";

// What sshd lets a student do: its effective settings for a member of the
// student group (sshd -T -C), judged by accounts::OpenForwardings.
void CheckSshd(Report& report) {
  if (::access(kSshd, X_OK) != 0) {
    report.Fail("sshd", std::string(kSshd) + " is not installed: students cannot log in",
                "apt install openssh-server", false);
    return;
  }
  if (::geteuid() != 0) {
    report.Fail("sshd", "reading sshd's effective settings (sshd -T) needs root",
                "run `worlds doctor` as root", false);
    return;
  }
  std::optional<accounts::GroupInfo> group =
      accounts::NewSystemAccounts()->FindGroup(accounts::kStudentGroup);
  if (!group || group->members.empty()) {
    report.Fail("sshd",
                std::string("no account in group ") + accounts::kStudentGroup +
                    " yet, so what sshd lets a student do cannot be checked",
                "run `worlds users sync`, then `worlds doctor` again", false);
    return;
  }
  const std::string& student = group->members.front();
  process::Result sshd;
  try {
    sshd = process::Run({kSshd, "-T", "-C", "user=" + student + ",host=localhost,addr=127.0.0.1"});
  } catch (const core::Error& e) {
    report.Fail("sshd", e.message(), e.fix());
    return;
  }
  if (sshd.exit_code != 0) {
    report.Fail("sshd", "sshd -T failed (exit " + std::to_string(sshd.exit_code) + "): " +
                            FirstLine(sshd.err),
                "fix the sshd configuration (sshd -t names the problem)");
    return;
  }
  std::vector<accounts::SshdFinding> open =
      accounts::OpenForwardings(sshd.out, accounts::kMenuShell);
  if (open.empty()) {
    report.Ok("sshd", "a student (" + student + ") gets the menu (" + accounts::kMenuShell +
                          ") and no forwarding or tunnel");
    return;
  }
  for (size_t i = 0; i < open.size(); ++i) {
    report.Fail("sshd", "for student " + student + ", " + open[i].ToString(),
                i + 1 == open.size() ? accounts::SshdHardeningFix() : "");
  }
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}


// The clock of the host reached by `ssh_date` (an ssh argv running `date
// +%s.%N` there) against ours, in seconds (theirs minus ours), taken
// halfway through the round trip.
double ClockSkew(const std::vector<std::string>& ssh_date) {
  auto before = std::chrono::system_clock::now();
  std::string out = process::RunChecked(ssh_date, {std::chrono::seconds(30)});
  auto after = std::chrono::system_clock::now();
  double theirs = 0;
  try {
    theirs = std::stod(out);
  } catch (const std::exception&) {
    throw core::Error("`date +%s.%N` there printed '" + FirstLine(out) + "'");
  }
  double ours =
      std::chrono::duration<double>((before + (after - before) / 2).time_since_epoch()).count();
  return theirs - ours;
}

// Makes `dir` if needed and writes, checks and removes a probe file in it.
// Throws (core::Error or std::filesystem_error) when it cannot.
void ProbeWritable(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::string probe = dir + "/.doctor-probe";
  { std::ofstream(probe) << "probe\n"; }
  if (!std::filesystem::exists(probe)) throw core::Error("cannot create a file", dir);
  std::filesystem::remove(probe);
}

// Whether libvirt's own ssh to `host` gives up connecting. Worlds' ssh
// does (hosts::SshArgv), but libvirt's qemu+ssh runs ssh with root's
// configuration only: without a ConnectTimeout there, a host that is off
// holds status, the broker and deploys for TCP's two minutes. A warning.
void CheckConnectTimeout(const store::HostRecord& host, Report& report) {
  const std::string check = "lab host " + host.name;
  const std::string fix =
      "add `ConnectTimeout 15` for it to root's ssh configuration (a Host block in "
      "/root/.ssh/config)";
  process::Result run;
  std::string unread;
  try {
    run = process::Run(hosts::SshConfigArgv(host.uri), {std::chrono::seconds(30)});
    if (!run.ok()) unread = run.Describe() + (run.err.empty() ? "" : ": " + FirstLine(run.err));
  } catch (const core::Error& e) {
    unread = e.Describe();
  }
  if (!unread.empty()) {
    report.Fail(check, "cannot read libvirt's ssh configuration for it (ssh -G): " + unread, fix,
                false);
    return;
  }
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    const std::string key = "connecttimeout ";
    if (line.rfind(key, 0) != 0) continue;
    std::string value = line.substr(key.size());
    if (value != "none") {
      report.Ok(check, "libvirt's ssh gives up connecting to it after " + value + " s");
      return;
    }
  }
  report.Fail(check,
              "libvirt's ssh to it has no ConnectTimeout: while it is off, status, the broker "
              "and deploys wait up to TCP's two minutes on it",
              fix, false);
}

// Each lab host of the inventory: a remote one runs `worlds doctor` there
// (over SSH, its storage dir as its state dir) and has its clock compared;
// one on this machine has its storage dir checked (the rest is this
// machine's, checked by the doctor here).
void CheckLabHosts(const DoctorOptions& options, Report& report, std::ostream& out) {
  for (const store::HostRecord& host : options.hosts) {
    const std::string check = "lab host " + host.name;
    if (hosts::IsLocalUri(host.uri)) {
      try {
        ProbeWritable(host.storage_dir);
        report.Ok(check, "this machine; storage " + host.storage_dir + " is writable");
      } catch (const std::exception& e) {
        report.Fail(check, "storage " + host.storage_dir + ": " + e.what(),
                    "make the storage dir writable, or `worlds host remove` and add it again");
      }
      continue;
    }
    process::Result run;
    try {
      run = process::Run(hosts::SshArgv(host.uri, {options.worlds_exe, "--state-dir",
                                                    host.storage_dir, "--image-dir",
                                                    options.image_dir, "doctor"}),
                         {std::chrono::seconds(600)});
    } catch (const core::Error& e) {
      report.Fail(check, e.Describe(), "check that root's SSH key reaches it");
      continue;
    }
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      out << "      [" << host.name << "] " << line << "\n";
    }
    if (!run.ok()) {
      std::string said = FirstLine(run.err);
      bool no_ssh = run.exit_code == 255;
      report.Fail(check,
                  run.timed_out ? std::string("its `worlds doctor` did not finish in 600 s")
                  : no_ssh      ? "cannot be reached over SSH" + (said.empty() ? "" : ": " + said)
                                : "its `worlds doctor` failed (" + run.Describe() + ")" +
                                 (said.empty() ? "" : ": " + said),
                  no_ssh ? "check that it is up and that root's SSH key is accepted there"
                         : "fix the FAIL lines above on that host; the same worlds must be "
                           "installed there, at " + options.worlds_exe);
      continue;
    }
    report.Ok(check, "its own `worlds doctor` passed (" + host.uri + ")");
    CheckConnectTimeout(host, report);
    try {
      double skew = ClockSkew(hosts::SshArgv(host.uri, {"date", "+%s.%N"}));
      char text[64];
      std::snprintf(text, sizeof text, "%+.2f s", skew);
      if (std::abs(skew) > 5) {
        report.Fail(check, std::string("its clock is ") + text + " off this host's",
                    "run NTP (chrony, systemd-timesyncd) on every lab host");
      } else {
        report.Ok(check, std::string("clock ") + text + " from this host's");
      }
    } catch (const core::Error& e) {
      report.Fail(check, "cannot read its clock: " + e.Describe(), "", false);
    }
  }
}

}  // namespace

std::string AccelDefault(const std::string& state_dir) {
  std::ifstream in(AccelFile(state_dir));
  std::string accel;
  if (in >> accel && (accel == "kvm" || accel == "qemu")) return accel;
  return "qemu";
}

int RunDoctor(const DoctorOptions& options, std::ostream& out) {
  Report report(out);
  if (!options.only_host.empty()) {
    DoctorOptions one = options;
    one.hosts.clear();
    for (const store::HostRecord& host : options.hosts) {
      if (host.name == options.only_host) one.hosts.push_back(host);
    }
    if (one.hosts.empty()) {
      throw core::InputError("no lab host '" + options.only_host + "' in the inventory",
                             "--host", "`worlds host list` shows them");
    }
    CheckLabHosts(one, report, out);
    out << (report.failed() ? "Lab host '" + options.only_host +
                                  "' is not ready for Worlds: fix the FAIL lines above.\n"
                            : "Lab host '" + options.only_host + "' can deploy Worlds.\n");
    return report.failed() ? kExitEnvironment : kExitOk;
  }

  try {
    std::unique_ptr<virt::Hypervisor> hypervisor =
        virt::NewLibvirtHypervisor(options.connect);
    report.Ok("libvirt", "connected to " + options.connect);
  } catch (const core::Error& e) {
    report.Fail("libvirt", e.message(), e.fix());
  }

  for (const char* program : {"qemu-system-x86_64", "qemu-img"}) {
    try {
      process::Result version = process::Run({program, "--version"});
      report.Ok(program, FirstLine(version.out));
    } catch (const core::Error& e) {
      report.Fail(program, e.message(), "install qemu-system-x86 and qemu-utils (tools/install-deps)");
    }
  }

  try {
    ProbeWritable(options.image_dir);
    report.Ok("image dir", options.image_dir + " is writable");
  } catch (const std::exception& e) {
    report.Fail("image dir", e.what(), "pass --state-dir or --image-dir to a writable directory");
  }

  try {
    std::string worlds_dir = core::WorldsDir(options.state_dir);
    deploy::CheckQemuCanReach(options.connect, {worlds_dir, options.image_dir});
    report.Ok("qemu access", deploy::QemuRunsAsItsOwnUser(options.connect)
                                 ? "QEMU's user can reach " + worlds_dir + " and " +
                                       options.image_dir
                                 : options.connect + " runs QEMU as the caller");
  } catch (const core::Error& e) {
    report.Fail("qemu access", e.message(), e.fix());
  }

  CheckSshd(report);
  CheckPartitions(report);

  std::string kernel = CheckKernel(options.image_dir);
  std::string accel = "qemu";
  if (kernel.empty()) {
    report.Fail("acceleration", "no kernel in /boot to test-boot",
                "install linux-image-amd64 (tools/install-deps)");
  } else {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    bool kvm_device = fd >= 0;
    if (fd >= 0) ::close(fd);
    bool kvm_works = false;
    if (!kvm_device) {
      report.Fail("kvm", "/dev/kvm missing or not accessible", "use --accel qemu (TCG, slower)", false);
    } else {
      BootResult kvm = BootKernel(kernel, "kvm", options.kvm_timeout_seconds);
      kvm_works = kvm.booted;
      if (kvm_works) {
        report.Ok("kvm", "a guest kernel booted under KVM in " + Seconds(kvm.seconds));
      } else {
        std::string why = kvm.timed_out
                              ? "/dev/kvm exists but a guest hung (no output after " +
                                    std::to_string(options.kvm_timeout_seconds) + " s)"
                              : "/dev/kvm exists but QEMU failed (exit " +
                                    std::to_string(kvm.exit_code) + "): " + kvm.tail;
        report.Fail("kvm", why, "KVM does not work on this host: use --accel qemu", false);
      }
    }
    if (kvm_works) {
      accel = "kvm";
    } else {
      BootResult tcg = BootKernel(kernel, "tcg", options.tcg_timeout_seconds);
      if (tcg.booted) {
        report.Ok("tcg", "a guest kernel booted under TCG in " + Seconds(tcg.seconds));
      } else {
        report.Fail("tcg", "a guest kernel did not boot under TCG: " + tcg.tail,
                    "check the QEMU installation");
      }
    }
    out << "      acceleration to use: --accel " << accel
        << (accel == "qemu" ? " (TCG)" : "") << "\n";
  }

  {
    auto start = std::chrono::steady_clock::now();
    try {
      guest::GuestfsOptions guestfs;
      // Same choice as deploy: TCG for the appliance where KVM fails.
      if (!std::getenv("LIBGUESTFS_BACKEND")) guestfs.backend = "direct";
      if (!std::getenv("LIBGUESTFS_BACKEND_SETTINGS") && accel == "qemu") {
        guestfs.backend_settings = "force_tcg";
      }
      guest::LaunchBareAppliance(guestfs);
      double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      report.Ok("libguestfs", "appliance launched in " + Seconds(took) +
                                   (guestfs.backend_settings.empty() ? "" : " (force_tcg)"));
    } catch (const core::Error& e) {
      report.Fail("libguestfs", e.message(),
                  "set LIBGUESTFS_BACKEND=direct (and LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
                  "where KVM does not work); run libguestfs-test-tool for details");
    }
  }

  CheckLabHosts(options, report, out);

  try {
    std::filesystem::create_directories(options.state_dir);
    std::ofstream(AccelFile(options.state_dir)) << accel << "\n";
  } catch (const std::exception& e) {
    report.Fail("state dir", e.what(), "pass --state-dir to a writable directory");
  }
  out << (report.failed() ? "This host is not ready for Worlds: fix the FAIL lines above.\n"
          : options.hosts.empty() ? "This host can deploy Worlds.\n"
                                  : "This host and its lab hosts can deploy Worlds.\n");
  return report.failed() ? kExitEnvironment : kExitOk;
}

void AddDoctorCommand(CLI::App& app, Globals& globals, Commands& commands) {
  CLI::App* doctor = app.add_subcommand("doctor", "Check that this host can deploy");
  auto only_host = std::make_shared<std::string>();
  doctor->add_option("--host", *only_host,
                     "check only this lab host of the inventory (over SSH), not this machine");
  commands.emplace_back(doctor, [&globals, only_host] {
    DoctorOptions options;
    options.only_host = *only_host;
    options.connect = globals.context.connect;
    options.state_dir = globals.context.state_dir;
    options.image_dir = globals.context.ImageDir();
    options.worlds_exe = globals.context.worker_exe;
    std::string db = core::StateDbPath(globals.context.state_dir);
    if (std::filesystem::exists(db)) options.hosts = store::Store::Open(db)->Hosts();
    return RunDoctor(options, std::cout);
  });
}

}  // namespace cli
