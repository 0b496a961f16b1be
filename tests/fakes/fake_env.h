// A whole deploy::Env of fakes for unit tests of the flows (Deploy,
// Destroy, Status, Execute): one FakeHypervisor and FakeCustomizer shared
// by every connection, FakeDisks (whose overlays get `clean` when the fake
// hypervisor snapshots them), in-process workers, and an image inspector
// that answers `os` for every base (a busybox guest Worlds can customize).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "deploy/env.h"
#include "fakes/fake_customizer.h"
#include "fakes/fake_disks.h"
#include "fakes/fake_hypervisor.h"
#include "fakes/in_process_workers.h"

namespace fakes {

class FakeEnv {
 public:
  FakeEnv();
  FakeEnv(const FakeEnv&) = delete;
  FakeEnv& operator=(const FakeEnv&) = delete;

  // What env.inspect_images answers for each image; tests may change it.
  guest::OsInfo os;
  // Each inspect_images call's image paths, in order.
  std::vector<std::vector<std::string>> inspected;

  FakeHypervisor hypervisor;
  FakeCustomizer customizer;
  std::shared_ptr<FakeDisks> disks = std::make_shared<FakeDisks>();
  InProcessWorkers workers{env};
  deploy::Env env;

  // Connections env.hypervisor() made.
  int connections() const { return connections_; }

 private:
  std::mutex hypervisor_mu_;
  std::mutex customizer_mu_;
  int connections_ = 0;
};

// A busybox guest as the tiny test image is: customizable, no sshd.
guest::OsInfo BusyboxGuest();

}  // namespace fakes
