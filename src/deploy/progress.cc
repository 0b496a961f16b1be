#include "deploy/progress.h"

#include <cmath>
#include <cstdio>

namespace deploy {

namespace {
// How much of a VM's work each phase stands for: the appliance dominates.
const std::pair<const char*, double> kPhaseWeights[] = {
    {"overlay", 0.05}, {"defined", 0.05}, {"customized", 0.75}, {"ready", 0.15}};

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}
}  // namespace

Progress::Progress(std::ostream& out, int total, bool tty)
    : out_(out),
      total_(total),
      tty_(tty),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
      .count();
}

double Progress::Fraction() const {
  if (total_ == 0) return 1;
  double done = 0;
  for (const auto& [phase, weight] : kPhaseWeights) {
    auto it = counts_.find(phase);
    if (it != counts_.end()) done += weight * it->second;
  }
  return std::min(1.0, (done + failed_) / total_);
}

void Progress::Reached(const std::string& phase) {
  ++counts_[phase];
  Draw(false);
}

void Progress::Failed(const std::string& domain, const std::string& phase,
                      const std::string& message) {
  ++failed_;
  if (tty_) out_ << "\r\033[K";
  out_ << "FAILED " << domain << " (" << phase << "): " << message << "\n";
  Draw(true);
}

void Progress::Draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  auto count = [&](const char* phase) {
    auto it = counts_.find(phase);
    return it == counts_.end() ? 0 : it->second;
  };
  int ready = count("ready");
  std::string phase = "overlays";
  if (count("overlay") >= total_ - failed_) phase = "customizing";
  if (count("customized") >= total_ - failed_) phase = "snapshots";
  if (ready + failed_ >= total_) phase = "done";
  double fraction = Fraction();
  double elapsed = Elapsed();
  std::string eta = fraction > 0.02 && fraction < 1
                        ? Seconds(elapsed / fraction * (1 - fraction))
                        : "?";
  std::string line = "[" + phase + "] " + std::to_string(ready) + "/" +
                     std::to_string(total_) + " VMs ready  overlays " +
                     std::to_string(count("overlay")) + "  customized " +
                     std::to_string(count("customized")) + "  defined " +
                     std::to_string(count("defined")) +
                     (failed_ ? "  failed " + std::to_string(failed_) : "") +
                     "  elapsed " + Seconds(elapsed) + "  ETA " + eta;
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100) &&
        phase != "done") {
      return;
    }
    out_ << "\r\033[K" << line << std::flush;
  } else {
    // A plain line per tenth of the work, and when a phase completes.
    int milestone = static_cast<int>(std::floor(fraction * 10));
    if (!force && milestone == last_milestone_) return;
    last_milestone_ = milestone;
    out_ << line << "\n" << std::flush;
  }
  last_draw_ = now;
}

void Progress::Finish() {
  if (tty_) out_ << "\r\033[K" << std::flush;
}

}  // namespace deploy
