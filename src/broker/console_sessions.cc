#include "broker/console_sessions.h"

#include "broker/connection.h"

namespace broker {

std::shared_ptr<ConsoleSessions::Session> ConsoleSessions::Add(const std::string& domain, int fd,
                                                               const std::string& user) {
  auto session = std::make_shared<Session>();
  session->fd = fd;
  session->user = user;
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.emplace(domain, session);
  return session;
}

void ConsoleSessions::Remove(const std::string& domain, const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [first, last] = sessions_.equal_range(domain);
  for (auto it = first; it != last; ++it) {
    if (it->second == session) {
      sessions_.erase(it);
      return;
    }
  }
}

bool ConsoleSessions::Open(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.count(domain) > 0;
}

std::string ConsoleSessions::User(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(domain);
  return it == sessions_.end() ? "" : it->second->user;
}

int ConsoleSessions::Tell(const std::string& domain, const std::string& text) {
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [first, last] = sessions_.equal_range(domain);
    for (auto it = first; it != last; ++it) targets.push_back(it->second);
  }
  int told = 0;
  for (const std::shared_ptr<Session>& session : targets) {
    std::lock_guard<std::mutex> lock(session->send_mu);
    told += SendAll(session->fd, text.data(), text.size());
  }
  return told;
}

}  // namespace broker
