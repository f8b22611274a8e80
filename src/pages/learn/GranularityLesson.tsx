export function GranularityLesson() {
  return <p>Coming soon.</p>;
}
