package kernel

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// VerifyResult is what replaying one vat's transcript found.
type VerifyResult struct {
	Vat        vat.ID
	Name       string
	Deliveries uint64 // replayed before the end or the divergence
	// From is the transcript position the replay started at: the vat's
	// heap snapshot, or the start of its incarnation.
	From    uint64
	Elapsed time.Duration
	// Err is the first divergence (a *ReplayError) or why the vat could not be rebuilt.
	Err error
}

// Verify rebuilds vats of the kernel in dir in scratch workers, from their
// heap snapshots unless opts.FullReplay, and replays their transcripts,
// comparing every syscall, every result handed back and every delivery
// outcome. It selects the given vats, or every live vat
// when none is given, and never writes to the database. ok is false if any
// vat diverged or could not be rebuilt. A damaged database (store.ErrCorrupt)
// is an error, or the Err of the vat whose transcript it hit.
func Verify(dir string, opts Options, vats []vat.ID, report func(VerifyResult)) (ok bool, err error) {
	if opts.Maker == nil {
		return false, errors.New("kernel: Options.Maker is required")
	}
	opts.Store.ReadOnly = true
	st, err := store.Open(filepath.Join(dir, DBName), opts.Store)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotStore) {
		return false, fmt.Errorf("%s: %w", dir, ErrNotKernel)
	}
	if err != nil {
		return false, err
	}
	defer st.Close()
	opts.Console = nil
	replayFrom := map[vat.ID]uint64{}
	observer := opts.Observer
	opts.Observer = func(e Event) {
		if e.Type == EventReplayStart {
			replayFrom[e.VatID] = e.DeliveryNum
		}
		if observer != nil {
			observer(e)
		}
	}
	k := newKernel(dir, st, opts)
	defer k.closeWorkers()
	defer k.recoverCorrupt(&err)
	if err := k.state.CheckVersion(); err != nil {
		return false, err
	}
	live := k.state.LiveVats()
	if len(vats) == 0 {
		vats = live
	}
	for _, id := range vats {
		found := false
		for _, l := range live {
			found = found || l == id
		}
		if !found {
			return false, fmt.Errorf("%s is not a live vat of %s", id, dir)
		}
	}
	ok = true
	for _, id := range vats {
		start := time.Now()
		err := k.restoreVat(id)
		r := VerifyResult{Vat: id, Name: k.VatName(id), Elapsed: time.Since(start), Err: err}
		r.From = replayFrom[id]
		var re *ReplayError
		if errors.As(err, &re) {
			r.Deliveries = re.Delivery - r.From
		} else {
			r.Deliveries = st.TranscriptLength(string(id)) - r.From
		}
		if err != nil {
			ok = false
		}
		if h := k.vats[id]; h != nil {
			h.worker.Close()
			delete(k.vats, id)
		}
		report(r)
	}
	return ok, nil
}
