// The console stream over libvirt: see libvirt_console.h.
#include "virt/libvirt_console.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt/libvirt_handles.h"

namespace virt::internal {

namespace {

// A non-blocking console stream made to look blocking: Read waits on a
// condition that libvirt's stream events (and Close) signal. A blocking
// virStreamRecv could not be woken by Close, so a client that leaves would
// pin a thread until the guest next printed something.
class LibvirtConsole : public ConsoleStream {
 public:
  // What the event callback touches. libvirt owns one reference (freed by
  // its free callback, which it defers while a callback is running), so the
  // callback never outlives what it uses.
  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    uint64_t events = 0;
  };

  LibvirtConsole(Connect conn, Stream stream, std::string domain)
      : conn_(std::move(conn)), stream_(std::move(stream)), domain_(std::move(domain)) {
    auto* ref = new std::shared_ptr<Signal>(signal_);
    constexpr int kEvents = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                            VIR_STREAM_EVENT_HANGUP;
    if (virStreamEventAddCallback(stream_.get(), kEvents, &OnEvent, ref,
                                  &FreeSignal) < 0) {
      delete ref;
      virStreamAbort(stream_.get());
      throw Failure("cannot watch the console stream", domain_);
    }
  }

  ~LibvirtConsole() override {
    Close();
    {
      // Read and Write use stream_ without the lock; wait until they left.
      std::unique_lock<std::mutex> lock(signal_->mu);
      signal_->cv.wait(lock, [this] { return active_ == 0; });
    }
    // Failures here change nothing: the stream and its connection go anyway.
    (void)virStreamEventRemoveCallback(stream_.get());
    if (eof_) {
      (void)virStreamFinish(stream_.get());
    } else {
      (void)virStreamAbort(stream_.get());
    }
    stream_.reset();
    conn_.reset();
  }

  size_t Read(char* buffer, size_t size) override {
    Active active(this);
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(signal_->mu);
        if (closed_ || eof_) return 0;
        seen = signal_->events;
      }
      int n = virStreamRecv(stream_.get(), buffer, size);
      if (n > 0) return static_cast<size_t>(n);
      std::unique_lock<std::mutex> lock(signal_->mu);
      if (n == 0) {
        eof_ = true;
        return 0;
      }
      if (n == -1) {
        if (closed_) return 0;
        lock.unlock();
        throw Failure("cannot read the console", domain_);
      }
      // -2: nothing yet; sleep until libvirt says there is, or Close.
      signal_->cv.wait(lock, [&] { return closed_ || signal_->events != seen; });
    }
  }

  void Write(const char* data, size_t size) override {
    Active active(this);
    while (size > 0) {
      {
        std::lock_guard<std::mutex> lock(signal_->mu);
        if (closed_ || eof_) throw core::Error("the console is closed", domain_);
      }
      int n = virStreamSend(stream_.get(), data, size);
      if (n == -2) {
        // Rare (keystrokes are small): the socket to libvirtd is full.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (n < 0) throw Failure("cannot write to the console", domain_);
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(signal_->mu);
    closed_ = true;
    signal_->cv.notify_all();
  }

 private:
  // Counts a Read or Write in progress, so the destructor can wait for it.
  class Active {
   public:
    explicit Active(LibvirtConsole* c) : c_(c) {
      std::lock_guard<std::mutex> lock(c_->signal_->mu);
      ++c_->active_;
    }
    ~Active() {
      std::lock_guard<std::mutex> lock(c_->signal_->mu);
      --c_->active_;
      c_->signal_->cv.notify_all();
    }
    Active(const Active&) = delete;
    Active& operator=(const Active&) = delete;

   private:
    LibvirtConsole* c_;
  };

  static void OnEvent(virStreamPtr, int, void* opaque) {
    Signal& s = **static_cast<std::shared_ptr<Signal>*>(opaque);
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.events;
    s.cv.notify_all();
  }
  static void FreeSignal(void* opaque) {
    delete static_cast<std::shared_ptr<Signal>*>(opaque);
  }

  std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  Connect conn_;    // this console's own connection, closed after the stream
  Stream stream_;
  std::string domain_;
  // Guarded by signal_->mu.
  bool closed_ = false;
  bool eof_ = false;
  int active_ = 0;
};

}  // namespace

std::unique_ptr<ConsoleStream> OpenLibvirtConsole(const std::string& uri,
                                                  const std::string& domain, bool force) {
  // Stream readiness comes only through the event loop, which must run
  // before the connection carrying the stream is opened (OpenConnection
  // starts it); the keepalive ends the stream of a host gone silent.
  Connect conn = OpenConnection(uri);
  if (!conn) throw Failure("cannot connect to libvirt at " + uri, domain);
  Domain own(virDomainLookupByName(conn.get(), domain.c_str()));
  if (!own) throw Failure("cannot look up domain", domain);
  Stream stream(virStreamNew(conn.get(), VIR_STREAM_NONBLOCK));
  if (!stream) throw Failure("cannot create a console stream", domain);
  if (virDomainOpenConsole(own.get(), nullptr, stream.get(),
                           force ? VIR_DOMAIN_CONSOLE_FORCE : 0) < 0) {
    throw Failure("cannot open the console", domain);
  }
  return std::make_unique<LibvirtConsole>(std::move(conn), std::move(stream), domain);
}

}  // namespace virt::internal
