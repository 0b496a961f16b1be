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

}  // namespace

std::vector<std::string> SshArgv(const std::string& uri, const std::vector<std::string>& remote) {
  std::string::size_type sep = uri.find("://");
  if (sep == std::string::npos) NoSsh(uri, "is not a libvirt URI");
  std::string scheme = uri.substr(0, sep);
  if (scheme != "qemu+ssh" && scheme != "qemu+libssh" && scheme != "qemu+libssh2") {
    NoSsh(uri, "does not reach its host over SSH");
  }
  std::string rest = uri.substr(sep + 3);
  std::string query;
  if (std::string::size_type q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string authority = rest.substr(0, rest.find('/'));
  std::string user, host = authority, port;
  if (std::string::size_type at = host.rfind('@'); at != std::string::npos) {
    user = host.substr(0, at);
    host = host.substr(at + 1);
  }
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    std::string::size_type close = host.find(']');
    if (close == std::string::npos) NoSsh(uri, "has an unclosed [address]");
    if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
    host = host.substr(1, close - 1);
  } else if (std::string::size_type colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) NoSsh(uri, "names no host");

  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    std::string pair = query.substr(start, end == std::string::npos ? std::string::npos
                                                                      : end - start);
    size_t eq = pair.find('=');
    params[Unescape(pair.substr(0, eq))] =
        eq == std::string::npos ? "" : Unescape(pair.substr(eq + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }

  for (const std::string& word : remote) {
    if (!IsPlainWord(word)) {
      throw core::Error("'" + word + "' is not a plain word for a remote command", host);
    }
  }
  std::vector<std::string> argv = {params.count("command") ? params["command"] : "ssh", "-T",
                                   "-o", "BatchMode=yes"};
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
