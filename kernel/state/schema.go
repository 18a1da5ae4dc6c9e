// Package state is the kernel's schema: the only code that knows key names.
// Every kernel table lives in one ordered string→string store; keys are
// dotted paths. The whole schema, which `cooper dump` also decodes with:
//
//	key                             value
//	version                         schema version ("2")
//	crankNumber                     number of cranks completed
//	activityhash                    hex SHA-256 chaining every crank's changes (written by the store)
//	kernel.bootstrapResult          kpid of the bootstrap message's result
//	kernel.limits                   JSON of the limits on what vats and the host hand the kernel
//	kernel.nextUpgradeID            next vat upgrade number (upNN)
//	kernel.pruneOldIncarnations     "true": an upgrade deletes the old incarnation's transcript
//	vat.names                       JSON list of static vat names, in creation order
//	vat.name.$NAME                  vat ID of the static vat $NAME
//	vat.dynamicIDs                  JSON list of live dynamic vat IDs, in creation order
//	vat.nextID                      next vat number
//	vats.terminated                 JSON list of terminated vat IDs
//	vat.terminated.vNN              why the terminated vat vNN ended
//	device.names                    JSON list of device names
//	device.name.$NAME               device ID of device $NAME
//	device.nextID                   next device number
//	namedBundleID.$NAME             bundle ID of the config bundle $NAME
//	vNN.source                      JSON {"bundleID": id} or {"bundleName": name}: the vat's code
//	vNN.options                     JSON of the vat's options (name, critical, meterID, ...)
//	vNN.vatParameters               JSON capdata (kernel refs) of the parameters given at creation
//	vNN.incarnation                 incarnation number (0, then one more per upgrade)
//	vNN.transcriptStart             transcript position where the current incarnation begins
//	vNN.o.nextID, vNN.p.nextID, vNN.d.nextID   next import numbers (o-N, p-N, d-N)
//	vNN.c.$kref                     "R $vref": c-list, kernel → vat
//	vNN.c.$vref                     $kref: c-list, vat → kernel
//	vNN.vs.$key                     the vat's own store (vatstore)
//	dNN.o.nextID                    next import number of device NN
//	dNN.c.$kref, dNN.c.$dref        device c-list, as for vats
//	dNN.deviceState.$key            the device's own state
//	ko.nextID                       next kernel object number
//	koNN.owner                      vat that exports the object (absent once the vat is gone)
//	koNN.refCount                   references from importers, queues and promise data
//	kd.nextID                       next device node number
//	kdNN.owner                      device that owns the node
//	kp.nextID                       next kernel promise number
//	kpNN.state                      unresolved | fulfilled | rejected
//	kpNN.decider                    vat allowed to resolve it ("" while its message is queued)
//	kpNN.subscribers                comma-separated vats to notify on resolution
//	kpNN.queue.$N, kpNN.queue.nextID  messages waiting for the promise to resolve
//	kpNN.data.body, kpNN.data.slots   resolution (slots comma-separated)
//	kpNN.refCount                   references from c-lists, queues, promise data and the host
//	kpNN.pinned                     number of references the host holds
//	runQueue                        JSON [head, tail]
//	runQueue.$N                     JSON run-queue item
//	meter.nextID                    next meter number
//	mNN.remaining, mNN.threshold    computrons left (or "unlimited"), notify threshold
//	local.*                         host-local, not hashed
//	local.snapshotInterval          deliveries between a vat's heap snapshots (absent: 200; 0: never)
//	local.pruneTranscripts          "true": a heap snapshot deletes the transcript entries before it
//	local.maxVatsOnline             vats taking heap snapshots kept online at once, loaded lazily (0: no bound; absent: 50, none without snapshots, all loaded at start)
//	host.*                          reserved for the host, refused from vats and the kernel
package state

import (
	"regexp"
	"strings"
	"sync"
)

// SchemaVersion is the version written to the "version" key.
const SchemaVersion = "2"

// Field describes one family of keys of the schema.
type Field struct {
	Pattern string // e.g. "vNN.c.$kref"
	Section string // kernel, vats, devices, objects, promises, runQueue, meters, bundles, local, host
	Doc     string
}

// Fields lists every family of keys, in the order of the package doc.
func Fields() []Field {
	return []Field{
		{"version", "kernel", "schema version"},
		{"crankNumber", "kernel", "number of cranks completed"},
		{"activityhash", "kernel", "hash chaining every crank's changes"},
		{"kernel.bootstrapResult", "kernel", "kpid of the bootstrap message's result"},
		{"kernel.limits", "kernel", "limits on what vats and the host hand the kernel"},
		{"kernel.nextUpgradeID", "kernel", "next vat upgrade number"},
		{"kernel.pruneOldIncarnations", "kernel", "whether upgrades delete old transcripts"},
		{"vat.names", "vats", "static vat names"},
		{"vat.name.$NAME", "vats", "vat ID of a static vat"},
		{"vat.dynamicIDs", "vats", "live dynamic vats"},
		{"vat.nextID", "vats", "next vat number"},
		{"vats.terminated", "vats", "terminated vats"},
		{"vat.terminated.vNN", "vats", "why a terminated vat ended"},
		{"device.names", "devices", "device names"},
		{"device.name.$NAME", "devices", "device ID of a device"},
		{"device.nextID", "devices", "next device number"},
		{"namedBundleID.$NAME", "bundles", "bundle ID of a named bundle"},
		{"vNN.source", "vats", "the vat's code: bundle ID or name"},
		{"vNN.options", "vats", "the vat's options"},
		{"vNN.vatParameters", "vats", "parameters given at creation"},
		{"vNN.incarnation", "vats", "incarnation number"},
		{"vNN.transcriptStart", "vats", "where the current incarnation's transcript begins"},
		{"vNN.o.nextID", "vats", "next imported object number"},
		{"vNN.p.nextID", "vats", "next imported promise number"},
		{"vNN.d.nextID", "vats", "next imported device node number"},
		{"vNN.c.$kref", "vats", "c-list: kernel ref → vat ref"},
		{"vNN.c.$vref", "vats", "c-list: vat ref → kernel ref"},
		{"vNN.vs.$key", "vats", "vatstore"},
		{"dNN.o.nextID", "devices", "next imported object number"},
		{"dNN.c.$kref", "devices", "device c-list: kernel ref → device ref"},
		{"dNN.c.$dref", "devices", "device c-list: device ref → kernel ref"},
		{"dNN.deviceState.$key", "devices", "device state"},
		{"ko.nextID", "objects", "next kernel object number"},
		{"koNN.owner", "objects", "vat that exports the object"},
		{"koNN.refCount", "objects", "references from importers, queues and promise data"},
		{"kd.nextID", "devices", "next device node number"},
		{"kdNN.owner", "devices", "device that owns the node"},
		{"kp.nextID", "promises", "next kernel promise number"},
		{"kpNN.state", "promises", "unresolved, fulfilled or rejected"},
		{"kpNN.decider", "promises", "vat allowed to resolve it"},
		{"kpNN.subscribers", "promises", "vats to notify on resolution"},
		{"kpNN.queue.$N", "promises", "message waiting for resolution"},
		{"kpNN.queue.nextID", "promises", "next queue slot"},
		{"kpNN.data.body", "promises", "resolution body"},
		{"kpNN.data.slots", "promises", "resolution slots"},
		{"kpNN.refCount", "promises", "references to the promise"},
		{"kpNN.pinned", "promises", "references held by the host"},
		{"runQueue", "runQueue", "[head, tail]"},
		{"runQueue.$N", "runQueue", "run-queue item"},
		{"meter.nextID", "meters", "next meter number"},
		{"mNN.remaining", "meters", "computrons left"},
		{"mNN.threshold", "meters", "notify below this"},
		{"local.*", "local", "host-local, not hashed"},
		{"local.snapshotInterval", "local", "deliveries between heap snapshots"},
		{"local.pruneTranscripts", "local", "whether heap snapshots delete older transcript entries"},
		{"local.maxVatsOnline", "local", "vats taking heap snapshots kept online at once"},
		{"host.*", "host", "reserved for the host"},
	}
}

// fieldPatterns compiles each Field's pattern into a regular expression.
var fieldPatterns = sync.OnceValue(func() []*regexp.Regexp {
	repl := strings.NewReplacer(
		".", `\.`,
		"$NAME", `.+`, "$key", `.+`, "$N", `\d+`,
		"$kref", `k[opd]\d+`, "$vref", `[opd][+-]\d+`, "$dref", `[opd][+-]\d+`,
		"*", `.*`,
	)
	var out []*regexp.Regexp
	for _, f := range Fields() {
		p := repl.Replace(f.Pattern)
		for _, pre := range []string{"koNN", "kpNN", "kdNN", "vNN", "dNN", "mNN"} {
			p = strings.Replace(p, pre, pre[:len(pre)-2]+`\d+`, 1)
		}
		out = append(out, regexp.MustCompile("^"+p+"$"))
	}
	return out
})

// Describe returns the schema field a key belongs to; ok is false for keys
// the schema does not know.
func Describe(key string) (f Field, ok bool) {
	fields := Fields()
	for i, re := range fieldPatterns() {
		if re.MatchString(key) {
			return fields[i], true
		}
	}
	return Field{}, false
}
