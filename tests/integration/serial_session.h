// A VM's serial console in an integration test: typed into and read back
// through virt::Hypervisor::OpenConsole (libvirt's console stream), so a
// test checks a booted guest from the inside, as a student at the console.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>

#include "core/error.h"
#include "virt/hypervisor.h"

namespace it {

inline constexpr int kCommandSeconds = 60;  // one typed command and its marker

// A VM's serial console typed into and read back. A reader thread collects
// everything the guest prints; Run() types a command followed by a unique
// marker echo and waits for exactly that marker.
class SerialSession {
 public:
  SerialSession(virt::Hypervisor& hv, std::string domain)
      : domain_(std::move(domain)), stream_(hv.OpenConsole(domain_, /*force=*/true)) {
    reader_ = std::thread([this] { ReadLoop(); });
  }

  ~SerialSession() {
    stream_->Close();  // wakes the reader blocked in Read
    reader_.join();
  }

  // Types a probe until the shell on ttyS0 answers it.
  bool WaitForShell(int seconds) {
    auto deadline = Deadline(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      // The arithmetic makes the answer differ from the typed text.
      Type("echo SHELL-$((6*7))-READY\n");
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(5),
                       [this] { return seen_.find("SHELL-42-READY") != std::string::npos; })) {
        return true;
      }
    }
    return false;
  }

  // Types `command; echo "END-<n> $?"` and waits for "END-<n> <digits>"
  // (the echo of the typed line shows "$?", never digits). Returns the
  // command's exit status, or -1 on timeout; `*output` gets everything the
  // console showed from the typed line to the marker.
  int Run(const std::string& command, std::string* output, int seconds = kCommandSeconds) {
    std::string tag = "END-" + std::to_string(++commands_);
    std::regex marker(tag + " ([0-9]+)");
    size_t start;
    {
      std::lock_guard<std::mutex> lock(mu_);
      start = seen_.size();
    }
    Type(command + "; echo \"" + tag + " $?\"\n");
    std::unique_lock<std::mutex> lock(mu_);
    std::smatch m;
    bool done = cv_.wait_until(lock, Deadline(seconds), [&] {
      std::string tail = seen_.substr(start);
      if (!std::regex_search(tail, m, marker)) return false;
      *output = m.prefix().str() + m[0].str();
      return true;
    });
    if (!done) {
      *output = seen_.substr(start);
      return -1;
    }
    return std::stoi(m[1].str());
  }

  // How much the console has shown so far: a position for WaitFor.
  size_t Mark() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }

  // Waits until the console shows `text` after position `from`, typing
  // nothing (a key pressed in GRUB's menu would stop the boot there).
  bool WaitFor(const std::string& text, int seconds, size_t from = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, Deadline(seconds), [&] {
      return seen_.size() > from && seen_.find(text, from) != std::string::npos;
    });
  }

  std::string Transcript() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  static std::chrono::steady_clock::time_point Deadline(int seconds) {
    return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  }

  void Type(const std::string& text) {
    try {
      stream_->Write(text.data(), text.size());
    } catch (const core::Error& e) {
      ADD_FAILURE() << domain_ << ": cannot type into the console: " << e.Describe();
    }
  }

  void ReadLoop() {
    char buffer[4096];
    for (;;) {
      size_t n = 0;
      std::string ended = "the console stream ended";
      try {
        n = stream_->Read(buffer, sizeof buffer);
      } catch (const core::Error& e) {
        n = 0;  // the console went away (domain stopped): nothing more to read
        ended = "the console stream failed: " + e.Describe();
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (n == 0) {
        // In the transcript, so a test that then waits in vain says why.
        seen_ += "\n[" + ended + "]\n";
        cv_.notify_all();
        return;
      }
      seen_.append(buffer, n);
      cv_.notify_all();
    }
  }

  std::string domain_;
  std::unique_ptr<virt::ConsoleStream> stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string seen_;
  int commands_ = 0;
  std::thread reader_;
};

}  // namespace it
