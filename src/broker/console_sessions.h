// The console sessions the broker relays now, by VM: who is on which
// console (worlds top, the idle rule: a VM with a console session is never
// idle), and a way to tell the students on a VM's console something (a
// lab's close is coming) between the guest's own output.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace broker {

class ConsoleSessions {
 public:
  // One relayed session. The relay sends the guest's output under `send_mu`
  // and so does Tell: a notice never lands in the middle of a write.
  struct Session {
    int fd = -1;
    std::string user;
    std::mutex send_mu;
  };

  // Registers a session on `domain`; remove it with Remove when it ends.
  std::shared_ptr<Session> Add(const std::string& domain, int fd, const std::string& user);
  void Remove(const std::string& domain, const std::shared_ptr<Session>& session);

  bool Open(const std::string& domain);
  // The user on `domain`'s console ("" when none; the first, if several).
  std::string User(const std::string& domain);
  // Sends `text` to every client on `domain`'s console; returns how many.
  int Tell(const std::string& domain, const std::string& text);

 private:
  std::mutex mu_;
  std::multimap<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace broker
