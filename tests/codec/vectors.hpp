#pragma once
// Request/response PDU pairs for every function code gw knows, every byte commented (mostly the
// examples of Modbus Application Protocol v1.1b3, section 6). Shared by the pdu and framer tests.

#include <cstdint>
#include <string_view>
#include <vector>

namespace gw::test {

struct pdu_pair {
    std::string_view name;
    std::vector<std::uint8_t> request;
    std::vector<std::uint8_t> response;
};

inline const std::vector<pdu_pair>& pdu_pairs() {
    static const std::vector<pdu_pair> pairs{
        {"FC1 read coils",
         {0x01,                // function: read coils
          0x00, 0x13,          // starting address 19
          0x00, 0x13},         // quantity 19
         {0x01,                // function: read coils
          0x03,                // byte count: ceil(19 / 8) = 3
          0xCD, 0x6B, 0x05}},  // coils 27-20, 35-28, 38-36 (LSB first, high bits zero)
        {"FC2 read discrete inputs",
         {0x02,                // function: read discrete inputs
          0x00, 0xC4,          // starting address 196
          0x00, 0x16},         // quantity 22
         {0x02,                // function
          0x03,                // byte count: ceil(22 / 8) = 3
          0xAC, 0xDB, 0x35}},  // inputs 204-197, 212-205, 218-213
        {"FC3 read holding registers",
         {0x03,          // function: read holding registers
          0x00, 0x6B,    // starting address 107
          0x00, 0x03},   // quantity 3
         {0x03,          // function
          0x06,          // byte count: 2 * 3
          0x02, 0x2B,    // register 107 = 555
          0x00, 0x00,    // register 108 = 0
          0x00, 0x64}},  // register 109 = 100
        {"FC4 read input registers",
         {0x04,          // function: read input registers
          0x00, 0x08,    // starting address 8
          0x00, 0x01},   // quantity 1
         {0x04,          // function
          0x02,          // byte count
          0x00, 0x0A}},  // register 8 = 10
        {"FC5 write single coil",
         {0x05,          // function: write single coil
          0x00, 0xAC,    // output address 172
          0xFF, 0x00},   // value: ON
         {0x05,          // function
          0x00, 0xAC,    // address echoed
          0xFF, 0x00}},  // value echoed
        {"FC6 write single register",
         {0x06,          // function: write single register
          0x00, 0x01,    // register address 1
          0x00, 0x03},   // value 3
         {0x06,          // function
          0x00, 0x01,    // address echoed
          0x00, 0x03}},  // value echoed
        {"FC7 read exception status",
         {0x07},   // function: read exception status (no data)
         {0x07,    // function
          0x6D}},  // eight status bits
        {"FC8 diagnostics, return query data",
         {0x08,          // function: diagnostics
          0x00, 0x00,    // sub-function 0: return query data
          0xA5, 0x37},   // data to echo
         {0x08,          // function
          0x00, 0x00,    // sub-function echoed
          0xA5, 0x37}},  // data echoed
        {"FC8 diagnostics, return bus message count",
         {0x08,          // function: diagnostics
          0x00, 0x0B,    // sub-function 11: return bus message count
          0x00, 0x00},   // data: must be 0
         {0x08,          // function
          0x00, 0x0B,    // sub-function echoed
          0x01, 0x2C}},  // count 300
        {"FC11 get comm event counter",
         {0x0B},         // function: get comm event counter (no data)
         {0x0B,          // function
          0xFF, 0xFF,    // status: busy
          0x01, 0x08}},  // event count 264
        {"FC12 get comm event log",
         {0x0C},         // function: get comm event log (no data)
         {0x0C,          // function
          0x08,          // byte count: 6 + 2 events
          0x00, 0x00,    // status
          0x01, 0x08,    // event count 264
          0x01, 0x21,    // message count 289
          0x20, 0x00}},  // events: most recent first
        {"FC15 write multiple coils",
         {0x0F,          // function: write multiple coils
          0x00, 0x13,    // starting address 19
          0x00, 0x0A,    // quantity 10
          0x02,          // byte count: ceil(10 / 8) = 2
          0xCD, 0x01},   // coils 26-19, 28-27
         {0x0F,          // function
          0x00, 0x13,    // address echoed
          0x00, 0x0A}},  // quantity echoed
        {"FC16 write multiple registers",
         {0x10,          // function: write multiple registers
          0x00, 0x01,    // starting address 1
          0x00, 0x02,    // quantity 2
          0x04,          // byte count: 2 * 2
          0x00, 0x0A,    // register 1 = 10
          0x01, 0x02},   // register 2 = 258
         {0x10,          // function
          0x00, 0x01,    // address echoed
          0x00, 0x02}},  // quantity echoed
        {"FC17 report server id",
         {0x11},       // function: report server id (no data)
         {0x11,        // function
          0x03,        // byte count
          0x47, 0x57,  // server id "GW"
          0xFF}},      // run indicator: ON
        {"FC20 read file record",
         {0x14,          // function: read file record
          0x0E,          // byte count: two sub-requests of 7
          0x06,          // sub-request 1: reference type 6
          0x00, 0x04,    //   file number 4
          0x00, 0x01,    //   record number 1
          0x00, 0x02,    //   record length 2
          0x06,          // sub-request 2: reference type 6
          0x00, 0x03,    //   file number 3
          0x00, 0x09,    //   record number 9
          0x00, 0x02},   //   record length 2
         {0x14,          // function
          0x0C,          // response data length 12
          0x05,          // sub-response 1: file response length (ref + 4 data bytes)
          0x06,          //   reference type
          0x0D, 0xFE,    //   record 1
          0x00, 0x20,    //   record 2
          0x05,          // sub-response 2: length
          0x06,          //   reference type
          0x33, 0xCD,    //   record 9
          0x00, 0x40}},  //   record 10
        {"FC21 write file record",
         {0x15,                                                  // function: write file record
          0x0D,                                                  // byte count 13
          0x06,                                                  // reference type
          0x00, 0x04,                                            // file number 4
          0x00, 0x07,                                            // record number 7
          0x00, 0x03,                                            // record length 3
          0x06, 0xAF,                                            // record 7
          0x04, 0xBE,                                            // record 8
          0x10, 0x0D},                                           // record 9
         {0x15, 0x0D, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x03,  // echo of the request
          0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D}},
        {"FC22 mask write register",
         {0x16,          // function: mask write register
          0x00, 0x04,    // reference address 4
          0x00, 0xF2,    // and mask
          0x00, 0x25},   // or mask
         {0x16,          // function
          0x00, 0x04,    // echo
          0x00, 0xF2,    // echo
          0x00, 0x25}},  // echo
        {"FC23 read/write multiple registers",
         {0x17,                      // function: read/write multiple registers
          0x00, 0x03,                // read starting address 3
          0x00, 0x06,                // quantity to read 6
          0x00, 0x0E,                // write starting address 14
          0x00, 0x03,                // quantity to write 3
          0x06,                      // write byte count: 2 * 3
          0x00, 0xFF,                // register 14
          0x00, 0xFF,                // register 15
          0x00, 0xFF},               // register 16
         {0x17,                      // function
          0x0C,                      // byte count: 2 * 6
          0x00, 0xFE, 0x0A, 0xCD,    // registers 3, 4
          0x00, 0x01, 0x00, 0x03,    // registers 5, 6
          0x00, 0x0D, 0x00, 0xFF}},  // registers 7, 8
        {"FC24 read FIFO queue",
         {0x18,          // function: read FIFO queue
          0x04, 0xDE},   // FIFO pointer address 1246
         {0x18,          // function
          0x00, 0x06,    // byte count: FIFO count field + 2 registers
          0x00, 0x02,    // FIFO count 2
          0x01, 0xB8,    // value 440
          0x12, 0x84}},  // value 4740
        {"FC43/14 read device identification",
         {0x2B,                         // function: encapsulated interface transport
          0x0E,                         // MEI type 14: read device identification
          0x01,                         // read device id code 1: basic
          0x00},                        // object id 0
         {0x2B,                         // function
          0x0E,                         // MEI type
          0x01,                         // read device id code echoed
          0x01,                         // conformity level
          0x00,                         // more follows: no
          0x00,                         // next object id
          0x03,                         // number of objects
          0x00, 0x03, 'A', 'C', 'M',    // object 0 (vendor), length 3
          0x01, 0x02, 'P', '1',         // object 1 (product code), length 2
          0x02, 0x03, 'V', '1', '0'}},  // object 2 (revision), length 3
        {"FC3 exception response",
         {0x03,         // function: read holding registers
          0xFF, 0xFF,   // starting address 65535
          0x00, 0x01},  // quantity 1
         {0x83,         // function | 0x80: exception
          0x02}},       // exception code 02 illegal data address
    };
    return pairs;
}

}  // namespace gw::test
