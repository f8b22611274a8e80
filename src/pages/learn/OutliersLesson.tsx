export function OutliersLesson() {
  return <p>Coming soon.</p>;
}
