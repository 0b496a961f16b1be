#include "deploy/identity.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/temp_path.h"
#include "process/process.h"

namespace deploy {

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in) throw core::Error("cannot read the new host key", path.string());
  return out.str();
}

// 128 random bits as 32 lowercase hex digits, as systemd writes them.
std::string NewMachineId() {
  std::random_device random;  // /dev/urandom on Linux
  std::string id;
  char hex[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random()));
    id += hex;
  }
  return id;
}

}  // namespace

guest::Identity NewIdentity(const guest::OsInfo& os, const std::string& comment) {
  guest::Identity identity;
  identity.machine_id = NewMachineId();
  if (!os.sshd) return identity;
  core::TempPath dir = core::TempPath::Dir("worlds-keys-");
  for (const char* type : kHostKeyTypes) {
    const std::string file = dir.path() + "/" + type;
    process::RunChecked({"ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", file});
    guest::HostKey key;
    key.type = type;
    key.private_key = ReadAll(file);
    key.public_key = ReadAll(file + ".pub");
    // "256 SHA256:abc... comment (ED25519)"
    std::istringstream line(
        process::RunChecked({"ssh-keygen", "-l", "-E", "sha256", "-f", file + ".pub"}));
    std::string bits;
    line >> bits >> key.fingerprint;
    if (key.fingerprint.rfind("SHA256:", 0) != 0) {
      throw core::Error("unexpected output from ssh-keygen -l", file + ".pub");
    }
    identity.host_keys.push_back(key);
  }
  return identity;
}

std::string PublicIdentityJson(const guest::Identity& identity,
                               const std::vector<guest::NicConfig>& nics) {
  nlohmann::json keys = nlohmann::json::array();
  for (const guest::HostKey& key : identity.host_keys) {
    std::string public_key = key.public_key;
    while (!public_key.empty() && public_key.back() == '\n') public_key.pop_back();
    keys.push_back(
        {{"type", key.type}, {"fingerprint", key.fingerprint}, {"public_key", public_key}});
  }
  nlohmann::json names = nlohmann::json::array();
  for (const guest::NicConfig& nic : nics) {
    names.push_back({{"name", nic.interface},
                     {"mac", nic.mac},
                     {"address", nic.address + "/" + std::to_string(nic.prefix)}});
  }
  return nlohmann::json{{"machine_id", identity.machine_id}, {"host_keys", keys}, {"nics", names}}
      .dump();
}

}  // namespace deploy
