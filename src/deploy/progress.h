// Live progress of a deploy: on a terminal, one line redrawn in place
// (phase counts, done/total, elapsed, ETA); otherwise plain lines, one per
// milestone, so logs stay readable.
#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <string>

namespace deploy {

class Progress {
 public:
  // `total`: VMs to do. `tty`: redraw in place (else plain lines).
  Progress(std::ostream& out, int total, bool tty);

  // A VM reached `phase` (overlay, customized, defined, ready).
  void Reached(const std::string& phase);
  void Failed(const std::string& domain, const std::string& phase,
              const std::string& message);
  // Clears the live line so that what follows starts on a clean line.
  void Finish();

  double Elapsed() const;

 private:
  void Draw(bool force);
  double Fraction() const;

  std::ostream& out_;
  int total_;
  bool tty_;
  int failed_ = 0;
  int last_milestone_ = -1;
  std::map<std::string, int> counts_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace deploy
