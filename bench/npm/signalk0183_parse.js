// Signal K's own NMEA 0183 parser on a log: the best of REPEAT passes, as JSON.
// Usage: node signalk0183_parse.js LOG [REPEAT]
// Only the parse loop is timed (process.hrtime for wall time, process.cpuUsage for CPU
// time), after a warm-up pass: not node's start,
// not require(), not reading the file. parse() verifies the checksum and returns a Signal K
// delta, or null for a sentence it does not map; a throw counts as a refused line.
const fs = require('fs')
const Parser = require('@signalk/nmea0183-signalk')

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l)
const repeat = Number(process.argv[3] || 3)

function pass(parser) {
  let deltas = 0
  for (const line of lines) {
    try {
      if (parser.parse(line)) deltas++
    } catch (e) {
      // refused (bad checksum, malformed field): counted as not a delta
    }
  }
  return deltas
}

pass(new Parser())
let best = Infinity
let bestCpu = Infinity
let deltas = 0
for (let r = 0; r < repeat; r++) {
  const parser = new Parser() // fresh state per pass, as ours starts a fresh decoder
  const cpu = process.cpuUsage() // CPU of the whole process (V8's helper threads too)
  const started = process.hrtime.bigint()
  deltas = pass(parser)
  best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9)
  const used = process.cpuUsage(cpu)
  bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6)
}
console.log(
  JSON.stringify({
    lines: lines.length,
    deltas,
    rate: lines.length / best,
    cpu_rate: lines.length / bestCpu
  })
)
