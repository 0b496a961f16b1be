#include "deploy/admission.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace deploy {
namespace {

namespace fs = std::filesystem;

core::Error SystemError(const std::string& what, const std::string& path) {
  return core::Error(what + ": " + std::strerror(errno), path);
}

// An open file, closed on every way out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// <state-dir>/admission.lock, held exclusively for one check.
Fd TakeAdmissionLock(const std::string& state_dir) {
  std::string path = (fs::path(state_dir) / "admission.lock").string();
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw SystemError("cannot open the admission lock", path);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throw SystemError("cannot take the admission lock", path);
  }
  return fd;
}

// The reservations of starts in flight, domain -> MiB. Called under the
// admission lock, which is also what every reservation is made under, so a
// stale one (its holder died: its flock is free) can be removed safely.
std::map<std::string, int> InFlight(const fs::path& dir) {
  std::map<std::string, int> in_flight;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) continue;  // ended meanwhile
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
      // Nobody holds it: its start ended without removing it (killed).
      ::unlink(path.c_str());
      continue;
    }
    int mib = 0;
    std::ifstream(path) >> mib;
    in_flight[entry.path().filename().string()] = mib;
  }
  return in_flight;
}

}  // namespace

Admission StoreAdmission(const capacity::Policy& policy, store::Store& store,
                         std::mutex& store_mu) {
  return Admission{policy, [&store, &store_mu](const std::string& owner) {
                     std::lock_guard<std::mutex> lock(store_mu);
                     std::vector<std::string> domains;
                     for (const store::VmRecord& vm : store.Vms(std::nullopt, owner)) {
                       domains.push_back(vm.domain);
                     }
                     return domains;
                   }};
}

StartReservation::~StartReservation() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // before the close that lets its flock go
  ::close(fd_);
}

StartReservation::StartReservation(StartReservation&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

StartReservation AdmitStart(virt::Hypervisor& hypervisor, const Admission& admission,
                            const std::string& state_dir, const store::VmRecord& vm) {
  fs::path dir = fs::path(state_dir) / "admission";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw core::Error("cannot create directory: " + ec.message(), dir.string());
  Fd lock = TakeAdmissionLock(state_dir);

  // The reservations first, then the domains: a start that ends between the
  // two reads is running in the second, one that ends before the first is
  // running in both, and none begins (that needs this lock).
  std::map<std::string, int> in_flight = InFlight(dir);
  std::vector<virt::DomainUsage> domains = hypervisor.Usage("");
  std::set<std::string> owned;
  if (admission.owner_domains) {
    for (std::string& d : admission.owner_domains(vm.owner)) owned.insert(std::move(d));
  }
  virt::DomainUsage self;
  self.name = vm.domain;
  int owner_running = 0;
  for (virt::DomainUsage& d : domains) {
    auto reserved = in_flight.find(d.name);
    if (reserved != in_flight.end() && d.state == virt::DomainState::kShutOff) {
      // Being started elsewhere: it counts as running already.
      d.state = virt::DomainState::kRunning;
    }
    if (d.name == vm.domain) {
      self = d;
      self.state = virt::DomainState::kShutOff;
    } else if (owned.count(d.name) && d.state != virt::DomainState::kShutOff) {
      ++owner_running;
    }
  }
  if (self.memory_mib == 0) self.memory_mib = hypervisor.Size(vm.domain).memory_mib;
  if (std::optional<capacity::Refusal> refused =
          capacity::Admit(admission.policy, hypervisor.Host(), domains, self, owner_running)) {
    throw NotAdmitted(refused->message);
  }

  std::string path = (dir / vm.domain).string();
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw SystemError("cannot write the start's reservation", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    throw SystemError("cannot lock the start's reservation", path);
  }
  std::string mib = std::to_string(self.memory_mib) + "\n";
  if (::write(fd.get(), mib.data(), mib.size()) != static_cast<ssize_t>(mib.size())) {
    int saved = errno;
    ::unlink(path.c_str());
    errno = saved;
    throw SystemError("cannot write the start's reservation", path);
  }
  return StartReservation(path, fd.release());
}

}  // namespace deploy
