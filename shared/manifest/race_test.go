//go:build race

package manifest

// raceDetector is true in a test binary built with -race, whose shadow
// memory multiplies the heap and resident size that the memory budget
// tests measure.
const raceDetector = true
