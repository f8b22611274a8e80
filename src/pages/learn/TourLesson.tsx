export function TourLesson() {
  return <p>Coming soon.</p>;
}
