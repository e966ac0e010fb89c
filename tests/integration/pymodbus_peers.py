#!/usr/bin/python3
"""pymodbus 3.0 devices for the integration tests, as separate processes.

  pymodbus_peers.py rtu-slave --device PATH --unit N
      a Modbus RTU slave (StartSerialServer's server, ModbusRtuFramer) on a serial device
  pymodbus_peers.py tcp-server --unit N [--framer socket|rtu]
      a Modbus TCP server on 127.0.0.1 (framer rtu: RTU frames over TCP); the port is the
      kernel's pick and is printed

Each prints "ready ..." on stdout once it serves. The tables differ from gw_simulator's so that
a test can tell which device answered: holding[i] = 20000 + i, input[i] = 30000 + i,
coil[i] = (i % 2 == 0), discrete[i] = (i % 5 == 0), 1000 entries each.
"""
import argparse
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncSerialServer
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

SIZE = 1000


def context(unit):
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, [20000 + i for i in range(SIZE)]),
        ir=ModbusSequentialDataBlock(0, [30000 + i for i in range(SIZE)]),
        co=ModbusSequentialDataBlock(0, [i % 2 == 0 for i in range(SIZE)]),
        di=ModbusSequentialDataBlock(0, [i % 5 == 0 for i in range(SIZE)]),
        zero_mode=True)
    return ModbusServerContext(slaves={unit: slave}, single=False)


async def rtu_slave(args):
    server = await StartAsyncSerialServer(context=context(args.unit), framer=ModbusRtuFramer,
                                          port=args.device, baudrate=115200, parity="N",
                                          defer_start=True)
    await server.start()
    if server.transport is None:
        print("cannot open " + args.device, flush=True)
        return 1
    print("ready on " + args.device, flush=True)
    await server.serve_forever()
    return 0


async def tcp_server(args):
    framer = ModbusRtuFramer if args.framer == "rtu" else ModbusSocketFramer
    server = ModbusTcpServer(context(args.unit), framer, None, ("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print("ready on port %d" % port, flush=True)
    await task
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="kind", required=True)
    rtu = sub.add_parser("rtu-slave")
    rtu.add_argument("--device", required=True)
    rtu.add_argument("--unit", type=int, required=True)
    tcp = sub.add_parser("tcp-server")
    tcp.add_argument("--unit", type=int, required=True)
    tcp.add_argument("--framer", choices=("socket", "rtu"), default="socket")
    args = parser.parse_args()
    try:
        return asyncio.run(rtu_slave(args) if args.kind == "rtu-slave" else tcp_server(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
