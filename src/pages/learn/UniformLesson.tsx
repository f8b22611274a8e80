export function UniformLesson() {
  return <p>Coming soon.</p>;
}
