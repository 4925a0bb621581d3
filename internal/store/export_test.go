package store

// Refreshers is how many expired values one cache reads again at a time.
const Refreshers = refreshers
