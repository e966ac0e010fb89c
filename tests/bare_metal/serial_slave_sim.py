#!/usr/bin/python3
"""A pymodbus 3.0 RTU slave on a serial device, the downstream peer of the router firmware.

Usage: serial_slave_sim.py <device> <baud>
Units 1 and 2, 100 holding registers each: unit 1 holds 3*i, unit 2 holds 1000+i. Other units are
not answered (so that the router must time out). Runs until killed.
"""

import logging
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer
from pymodbus.transaction import ModbusRtuFramer


def unit(values):
    block = ModbusSequentialDataBlock(0, values)
    return ModbusSlaveContext(hr=block, ir=ModbusSequentialDataBlock(0, values), zero_mode=True)


def main():
    device, baud = sys.argv[1], int(sys.argv[2])
    # Exception replies are the point of some checks: keep pymodbus from logging them as errors.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    context = ModbusServerContext(
        slaves={1: unit([3 * i for i in range(100)]), 2: unit([1000 + i for i in range(100)])},
        single=False)
    print("slave simulator on " + device, flush=True)
    StartSerialServer(context=context, framer=ModbusRtuFramer, port=device, baudrate=baud)


if __name__ == "__main__":
    main()
