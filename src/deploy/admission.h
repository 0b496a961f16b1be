// Admission at start: every start of a VM, by the broker (a student's or an
// admin's), the admin's `worlds start` or a schedule, passes the rule of
// capacity/budget.h before virDomainCreate, through AdmitStart.
//
// Concurrent starts cannot all pass the check together, and still run side
// by side: the check happens under one host-wide lock,
// <state-dir>/admission.lock (flock), and a start that passes leaves a
// reservation, <state-dir>/admission/<domain> holding its MiB, flock'd for
// as long as its start runs. Later checks count the reservations still held
// as running VMs; one whose holder died (its flock gone) is removed. So the
// lock is held for a check, never for a start.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "capacity/budget.h"
#include "core/error.h"
#include "store/store.h"
#include "virt/hypervisor.h"

namespace deploy {

// What every start is checked against.
struct Admission {
  capacity::Policy policy;
  // The domains of every VM `owner` (a student or a group) has, in any lab:
  // how many of them run (or are being started) is what the per-student
  // limit counts.
  std::function<std::vector<std::string>(const std::string& owner)> owner_domains;
};

// The admission of `policy` whose owners' domains are what `store` records,
// read under `store_mu` (the caller's lock of that single-threaded store).
// Both must outlive the Admission.
Admission StoreAdmission(const capacity::Policy& policy, store::Store& store,
                         std::mutex& store_mu);

// A start the rule turned down; message() is for the student.
class NotAdmitted : public core::Error {
 public:
  using Error::Error;
};

// A passed check's reservation: held until the start it admitted is over
// (destroy it once Hypervisor::Start returns or throws).
class StartReservation {
 public:
  StartReservation(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~StartReservation();
  StartReservation(StartReservation&& other) noexcept;
  StartReservation(const StartReservation&) = delete;
  StartReservation& operator=(const StartReservation&) = delete;
  StartReservation& operator=(StartReservation&&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// Checks starting `vm` (shut off now) against `admission` with the host as
// `hypervisor` reads it and the starts in flight; returns the reservation
// to hold while starting it. Throws NotAdmitted with the student's message,
// or core::Error when the state dir or the hypervisor cannot be read.
StartReservation AdmitStart(virt::Hypervisor& hypervisor, const Admission& admission,
                            const std::string& state_dir, const store::VmRecord& vm);

}  // namespace deploy
