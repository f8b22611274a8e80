export function CalibrationLesson() {
  return <p>Coming soon.</p>;
}
