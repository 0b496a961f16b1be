// The files users sync writes for an account, safely in directories their
// users own: ~/.ssh/authorized_keys, the menu shell's symlink, /etc/shells.
// Internal to accounts/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace accounts {

// The public key file for `user` in `keys_dir`: DIR/USER.pub, else
// DIR/USER/authorized_keys; nullopt when neither is a regular file.
std::optional<std::string> FindKeyFile(const std::string& keys_dir,
                                        const std::string& user);

// Makes HOME/.ssh (mode 0700) and HOME/.ssh/authorized_keys (mode 0600)
// hold `content`, both owned by uid:gid. The file is replaced (atomically,
// by rename) only when its content differs; owner and modes are fixed either
// way. Never follows a symlink the user may have planted. Returns true when
// the content was written. Throws core::Error naming the path.
bool InstallAuthorizedKeys(const std::string& home, uint32_t uid, uint32_t gid,
                           const std::string& content);

// Makes `link` a symlink to `target` (replacing a symlink that points
// elsewhere; a regular file there is left alone). Returns true when it
// changed anything. Throws core::Error.
bool EnsureSymlink(const std::string& link, const std::string& target);

// Appends `shell` to `shells_file` (/etc/shells) unless a line already is
// exactly it. Returns true when it appended. Throws core::Error.
bool EnsureListedShell(const std::string& shells_file, const std::string& shell);

// The whole content of a file; throws core::Error when it cannot be read.
std::string ReadWholeFile(const std::string& path);

}  // namespace accounts
