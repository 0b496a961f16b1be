// A VM's serial console in integration tests, through
// virt::Hypervisor::OpenConsole: what is typed goes to the guest, what the
// guest prints is kept by a reader thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "virt/hypervisor.h"

namespace it {

// A VM's serial console: a reader thread keeps what the guest prints.
class Console {
 public:
  Console(virt::Hypervisor& hv, const std::string& domain)
      : stream_(hv.OpenConsole(domain, /*force=*/true)) {
    reader_ = std::thread([this] {
      char buffer[4096];
      for (;;) {
        size_t n = 0;
        try {
          n = stream_->Read(buffer, sizeof buffer);
        } catch (const core::Error&) {
        }
        std::lock_guard<std::mutex> lock(mu_);
        if (n == 0) {
          closed_ = true;
          cv_.notify_all();
          return;
        }
        seen_.append(buffer, n);
        cv_.notify_all();
      }
    });
  }
  ~Console() {
    stream_->Close();
    reader_.join();
  }

  void Type(const std::string& text) { stream_->Write(text.data(), text.size()); }

  // Waits until the guest has printed `text`.
  bool WaitFor(const std::string& text, int seconds) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(seconds), [&] {
      return closed_ || seen_.find(text) != std::string::npos;
    }) && seen_.find(text) != std::string::npos;
  }

  std::string Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<virt::ConsoleStream> stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string seen_;
  bool closed_ = false;
  std::thread reader_;
};

}  // namespace it
