package store

// Refreshers is how many expired values one cache reads again at a time.
const Refreshers = refreshers

// UseCursorKey signs cursors with k from now on, as LoadSecrets does with
// the stored secret, and returns a function that puts the old key back.
func UseCursorKey(k []byte) (restore func()) {
	old := cursorKey.Load()
	cursorKey.Store(&k)
	return func() { cursorKey.Store(old) }
}
