#pragma once
// The gateway's built-in simulated device: the simulator (examples/simulator) serving the master
// side of a pty pair in this process, so the gateway can open the slave side like any serial
// line. This is the embedded default's "hardware".

#include "../simulator/simulator.hpp"

#include <gw/transport/asio.hpp>
#include <gw/transport/pty_pair.hpp>

#include <memory>
#include <string>

namespace gw::examples {

class embedded_simulator {
public:
    using stream_type = net::posix::stream_descriptor;

    embedded_simulator(net::io_context& io, std::uint8_t first_unit, std::uint8_t last_unit)
        : io_{io}, first_{first_unit}, last_{last_unit} {}

    /// Opens the virtual line and starts answering; an empty string on success.
    std::string start() {
        if (const auto ec = pty_.open()) return "openpty: " + ec.message();
        stream_ = std::make_unique<stream_type>(io_, pty_.release_master());
        sim::simulator_settings settings;
        settings.device.units.clear();
        for (unsigned u = first_; u <= last_; ++u)
            settings.device.units.push_back(static_cast<std::uint8_t>(u));
        settings.baud = 115200;
        simulator_ = std::make_unique<sim::simulator<stream_type>>(*stream_, settings);
        simulator_->start();
        return {};
    }

    void stop() {
        if (simulator_) simulator_->stop();
        if (stream_) {
            transport::error_code ignored;
            stream_->close(ignored);
        }
    }

    /// The serial device the gateway opens (/dev/pts/N).
    std::string device() const { return pty_.slave_path(); }

private:
    net::io_context& io_;
    std::uint8_t first_;
    std::uint8_t last_;
    transport::pty_pair pty_;
    std::unique_ptr<stream_type> stream_;
    std::unique_ptr<sim::simulator<stream_type>> simulator_;
};

}  // namespace gw::examples
