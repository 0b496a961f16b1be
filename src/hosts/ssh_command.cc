#include "hosts/ssh_command.h"

#include <cctype>
#include <map>

#include "core/error.h"

namespace hosts {

namespace {

// %XX escapes of a URI's query value (libvirt's virURIParse decodes them).
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsPlainWord(const std::string& word) {
  if (word.empty()) return false;
  for (char c : word) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string("_./:=@%+,-").find(c) != std::string::npos;
    if (!ok) return false;
  }
  return true;
}

[[noreturn]] void NoSsh(const std::string& uri, const std::string& why) {
  throw core::InputError("'" + uri + "' " + why, "uri",
                         "a lab host's workers run over SSH: give it a qemu+ssh://[user@]host/system "
                         "URI, with root's key accepted there");
}

// The parts of a libvirt URI driver[+transport]://[user@]host[:port]/path?query.
struct UriParts {
  std::string scheme;
  std::string user, host, port;  // host without [] around an IPv6 address
  std::map<std::string, std::string> params;
};

UriParts ParseUri(const std::string& uri) {
  UriParts parts;
  std::string::size_type sep = uri.find("://");
  if (sep == std::string::npos) NoSsh(uri, "is not a libvirt URI");
  parts.scheme = uri.substr(0, sep);
  std::string rest = uri.substr(sep + 3);
  std::string query;
  if (std::string::size_type q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string authority = rest.substr(0, rest.find('/'));
  std::string& host = parts.host;
  host = authority;
  if (std::string::size_type at = host.rfind('@'); at != std::string::npos) {
    parts.user = host.substr(0, at);
    host = host.substr(at + 1);
  }
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    std::string::size_type close = host.find(']');
    if (close == std::string::npos) NoSsh(uri, "has an unclosed [address]");
    if (close + 1 < host.size() && host[close + 1] == ':') parts.port = host.substr(close + 2);
    host = host.substr(1, close - 1);
  } else if (std::string::size_type colon = host.rfind(':'); colon != std::string::npos) {
    parts.port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    std::string pair = query.substr(start, end == std::string::npos ? std::string::npos
                                                                      : end - start);
    size_t eq = pair.find('=');
    parts.params[Unescape(pair.substr(0, eq))] =
        eq == std::string::npos ? "" : Unescape(pair.substr(eq + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

// `uri`'s parts, when it reaches a host over SSH.
UriParts SshParts(const std::string& uri) {
  UriParts parts = ParseUri(uri);
  if (parts.scheme != "qemu+ssh" && parts.scheme != "qemu+libssh" &&
      parts.scheme != "qemu+libssh2") {
    NoSsh(uri, "does not reach its host over SSH");
  }
  if (parts.host.empty()) NoSsh(uri, "names no host");
  return parts;
}

}  // namespace

std::string MigrationUri(const std::string& uri) {
  if (uri.find("://") == std::string::npos) return "";
  std::string host = ParseUri(uri).host;
  if (host.empty()) return "";
  return "tcp://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
}

std::vector<std::string> SshConfigArgv(const std::string& uri) {
  UriParts parts = SshParts(uri);
  std::vector<std::string> argv = {parts.params.count("command") ? parts.params["command"] : "ssh",
                                   "-G"};
  if (!parts.port.empty()) argv.insert(argv.end(), {"-p", parts.port});
  if (!parts.user.empty()) argv.insert(argv.end(), {"-l", parts.user});
  argv.push_back("--");
  argv.push_back(parts.host);
  return argv;
}

std::vector<std::string> SshArgv(const std::string& uri, const std::vector<std::string>& remote) {
  UriParts parts = SshParts(uri);
  const std::string& host = parts.host;
  const std::string& user = parts.user;
  const std::string& port = parts.port;
  std::map<std::string, std::string>& params = parts.params;

  for (const std::string& word : remote) {
    if (!IsPlainWord(word)) {
      throw core::Error("'" + word + "' is not a plain word for a remote command", host);
    }
  }
  // A host that stops answering (a power cut, a cable, a partition) sends
  // nothing, not even a reset: without the keepalive a deploy would wait
  // on its worker's silence forever. ssh ends 30 s after its last answer,
  // and gives up a connection that is not made in 15 s.
  std::vector<std::string> argv = {params.count("command") ? params["command"] : "ssh",
                                   "-T",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "ConnectTimeout=15",
                                   "-o",
                                   "ServerAliveInterval=10",
                                   "-o",
                                   "ServerAliveCountMax=3"};
  if (!port.empty()) argv.insert(argv.end(), {"-p", port});
  if (!user.empty()) argv.insert(argv.end(), {"-l", user});
  if (params.count("keyfile")) argv.insert(argv.end(), {"-i", params["keyfile"]});
  if (params.count("no_verify") && params["no_verify"] == "1") {
    argv.insert(argv.end(), {"-o", "StrictHostKeyChecking=no"});
  }
  argv.push_back("--");
  argv.push_back(host);
  argv.insert(argv.end(), remote.begin(), remote.end());
  return argv;
}

}  // namespace hosts
